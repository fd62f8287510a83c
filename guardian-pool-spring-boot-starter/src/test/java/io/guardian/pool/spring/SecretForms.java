package io.guardian.pool.spring;

import io.guardian.pool.internal.codec.Base58;
import io.guardian.pool.peer.PeerIdentity;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/** The ways an identity's private key could leak into text: hex, base64 and base58 of key and seed. */
final class SecretForms {

    private SecretForms() {
    }

    /** Every text form of the private key protobuf and of the 32-byte seed inside it. */
    static List<String> of(PeerIdentity identity) {
        byte[] protobuf = identity.privateKeyProtobuf();
        // libp2p PrivateKey protobuf: 08 01 12 40, then seed (32) and public key (32).
        byte[] seed = Arrays.copyOfRange(protobuf, 4, 36);
        List<String> forms = new ArrayList<>();
        for (byte[] secret : List.of(protobuf, seed)) {
            forms.add(HexFormat.of().formatHex(secret));
            forms.add(HexFormat.of().withUpperCase().formatHex(secret));
            forms.add(Base64.getEncoder().withoutPadding().encodeToString(secret));
            forms.add(Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
            forms.add(Base58.encode(secret));
        }
        return forms;
    }
}
