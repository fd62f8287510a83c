package io.guardian.pool.spring.reliability;

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
 * Every text form in which an identity's private key could appear in JSON or a log line: the
 * 32-byte seed, {@code seed || public key} and the libp2p protobuf, in hex (both cases, plain and
 * delimited), base64 and base64url at all three alignments (so a key inside a longer encoded blob
 * is found too), base58, base32, base36 and as a Java {@code byte[]} listing. (Core's reliability
 * tests scan with the same forms; test classes are not shared across modules.)
 */
final class KeyForms {

    private final List<String> forms = new ArrayList<>();

    private KeyForms(PeerIdentity identity) {
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
                // Drop the last group: it depends on whatever follows the key in a longer blob.
                String b64 = Base64.getEncoder().withoutPadding().encodeToString(tail);
                String url = Base64.getUrlEncoder().withoutPadding().encodeToString(tail);
                forms.add(b64.substring(0, b64.length() - 4));
                forms.add(url.substring(0, url.length() - 4));
            }
            forms.add(Base58.encode(secret));
            forms.add(Multibase.encodeBase32(secret).substring(1));
            forms.add(Multibase.encodeBase36(secret).substring(1));
            forms.add(Arrays.toString(secret).substring(0, 40));
        }
    }

    static KeyForms of(PeerIdentity identity) {
        return new KeyForms(identity);
    }

    /** @return the (shortened) forms of the key found in {@code text}, empty if none */
    List<String> foundIn(String text) {
        List<String> found = new ArrayList<>();
        for (String form : forms) {
            if (text.contains(form)) {
                found.add(form.substring(0, 12) + "...");
            }
        }
        return found;
    }
}
