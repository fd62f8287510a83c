package io.guardian.pool.internal.libp2p.noise;

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
        return new NoiseSigner() {
            @Override
            public byte[] publicKeyProtobuf() {
                return key.clone();
            }

            @Override
            public byte[] sign(byte[] data) {
                return signature.clone();
            }
        };
    }

    /** A signer that signs something other than what it is asked to. */
    static NoiseSigner tampered(NoiseSigner honest, UnaryOperator<byte[]> change) {
        return new NoiseSigner() {
            @Override
            public byte[] publicKeyProtobuf() {
                return honest.publicKeyProtobuf();
            }

            @Override
            public byte[] sign(byte[] data) {
                return honest.sign(change.apply(data));
            }
        };
    }

    /** libp2p PublicKey protobuf: 08 type 12 len data (the DER key is at most a few hundred bytes here). */
    static byte[] keyProtobuf(int type, byte[] data) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(0x08);
        out.write(type);
        out.write(0x12);
        int n = data.length;
        while (n >= 0x80) {
            out.write((n & 0x7f) | 0x80);
            n >>>= 7;
        }
        out.write(n);
        out.writeBytes(data);
        return out.toByteArray();
    }

    private static NoiseSigner pkix(int type, KeyPair pair, String algorithm) {
        byte[] key = keyProtobuf(type, pair.getPublic().getEncoded());
        return new NoiseSigner() {
            @Override
            public byte[] publicKeyProtobuf() {
                return key.clone();
            }

            @Override
            public byte[] sign(byte[] data) {
                try {
                    Signature s = Signature.getInstance(algorithm);
                    s.initSign(pair.getPrivate());
                    s.update(data);
                    return s.sign();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }
}
