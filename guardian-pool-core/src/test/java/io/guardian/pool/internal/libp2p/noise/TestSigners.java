package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.internal.codec.Protobuf;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.HexFormat;
import java.util.function.UnaryOperator;

/** Remote identities of other key types, built with the JDK, to play peers we must verify. */
final class TestSigners {

    private TestSigners() {
    }

    static NoiseSigner rsa(int bits) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(bits);
        return pkix(0, g.generateKeyPair(), "SHA256withRSA");
    }

    static NoiseSigner ecdsaP256() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return pkix(3, g.generateKeyPair(), "SHA256withECDSA");
    }

    /** A key protobuf that cannot sign, with a fixed signature. */
    static NoiseSigner fixed(String keyProtobufHex, byte[] signature) {
        byte[] key = HexFormat.of().parseHex(keyProtobufHex);
        return signer(key, data -> signature.clone());
    }

    /** A signer that signs something other than what it is asked to. */
    static NoiseSigner tampered(NoiseSigner honest, UnaryOperator<byte[]> change) {
        return signer(honest.publicKeyProtobuf(), data -> honest.sign(change.apply(data)));
    }

    /** A signer with a given key protobuf and signing rule. */
    static NoiseSigner signer(byte[] keyProtobuf, UnaryOperator<byte[]> sign) {
        return new NoiseSigner() {
            @Override
            public byte[] publicKeyProtobuf() {
                return keyProtobuf.clone();
            }

            @Override
            public byte[] sign(byte[] data) {
                return sign.apply(data);
            }
        };
    }

    /** libp2p PublicKey protobuf: 08 type 12 len data (the DER key is at most a few hundred bytes here). */
    static byte[] keyProtobuf(int type, byte[] data) {
        return new Protobuf.Writer().varint(1, type).bytes(2, data).toByteArray();
    }

    private static NoiseSigner pkix(int type, KeyPair pair, String algorithm) {
        return signer(keyProtobuf(type, pair.getPublic().getEncoded()), data -> {
            try {
                Signature s = Signature.getInstance(algorithm);
                s.initSign(pair.getPrivate());
                s.update(data);
                return s.sign();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
