package io.guardian.pool.reliability;

import io.guardian.pool.internal.codec.Base58;
import io.guardian.pool.internal.codec.Multibase;
import io.guardian.pool.peer.PeerIdentity;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Every text form in which an identity's private key could leak into a log line, an exception
 * message or a JSON document: the 32-byte seed, the 64-byte {@code seed || public key} and the
 * 68-byte libp2p protobuf, each in hex (both cases), base64 and base64url (at all three
 * alignments, so that the key is found inside a longer encoded blob too), base58, base32, base36
 * and as a Java {@code byte[]} listing.
 */
final class KeyMaterial {

    /** Shorter fragments would match by chance; 16 base64 characters carry 12 key bytes. */
    private static final int MIN_FRAGMENT = 16;

    private final List<String> forms = new ArrayList<>();

    private KeyMaterial(PeerIdentity identity) {
        byte[] protobuf = identity.privateKeyProtobuf();
        byte[] seedAndPublic = Arrays.copyOfRange(protobuf, 4, protobuf.length);
        byte[] seed = Arrays.copyOf(seedAndPublic, 32);
        for (byte[] secret : List.of(seed, seedAndPublic, protobuf)) {
            String hex = HexFormat.of().formatHex(secret);
            forms.add(hex);
            forms.add(hex.toUpperCase(Locale.ROOT));
            forms.add(HexFormat.ofDelimiter(" ").formatHex(secret));
            forms.add(HexFormat.ofDelimiter(":").formatHex(secret));
            for (int shift = 0; shift < 3; shift++) {
                byte[] tail = Arrays.copyOfRange(secret, shift, secret.length);
                forms.add(core(Base64.getEncoder().withoutPadding().encodeToString(tail)));
                forms.add(core(Base64.getUrlEncoder().withoutPadding().encodeToString(tail)));
            }
            forms.add(Base58.encode(secret));
            // Without the multibase prefix letter: the bare encoding is what could be embedded.
            forms.add(Multibase.encodeBase32(secret).substring(1));
            forms.add(Multibase.encodeBase36(secret).substring(1));
            forms.add(Arrays.toString(secret).substring(0, 40));
        }
    }

    static KeyMaterial of(PeerIdentity identity) {
        return new KeyMaterial(identity);
    }

    /**
     * The part of a base64 text that encodes whole groups of the key whatever precedes it: the
     * last group depends on what follows, so it is dropped.
     */
    private static String core(String base64) {
        int keep = Math.max(MIN_FRAGMENT, base64.length() - 4);
        return base64.substring(0, Math.min(base64.length(), keep));
    }

    /** @return the forms of the key found in {@code text}, empty if none */
    List<String> foundIn(String text) {
        List<String> found = new ArrayList<>();
        for (String form : forms) {
            if (text.contains(form)) {
                found.add(form.length() > 12 ? form.substring(0, 12) + "..." : form);
            }
        }
        return found;
    }

    int formCount() {
        return forms.size();
    }
}
