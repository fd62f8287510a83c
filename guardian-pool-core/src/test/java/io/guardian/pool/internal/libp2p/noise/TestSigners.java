package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.internal.codec.Protobuf;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.HexFormat;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;

/** Remote identities of other key types (the JDK's RSA and ECDSA, Bouncy Castle's secp256k1), to play peers we must verify. */
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

    /**
     * A secp256k1 identity as go-libp2p signs with one: ECDSA over SHA-256 (RFC 6979 nonces),
     * DER, the key a 33-byte compressed point; Bouncy Castle's, since the JDK has no secp256k1.
     */
    static NoiseSigner secp256k1(long seed) {
        X9ECParameters k1 = CustomNamedCurves.getByName("secp256k1");
        ECDomainParameters curve = new ECDomainParameters(k1.getCurve(), k1.getG(), k1.getN(), k1.getH());
        BigInteger d = new BigInteger(256, new Random(seed)).mod(k1.getN().subtract(BigInteger.ONE)).add(BigInteger.ONE);
        byte[] point = k1.getG().multiply(d).getEncoded(true);
        return signer(keyProtobuf(2, point), data -> {
            ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
            signer.init(true, new ECPrivateKeyParameters(d, curve));
            SHA256Digest sha = new SHA256Digest();
            byte[] digest = new byte[32];
            sha.update(data, 0, data.length);
            sha.doFinal(digest, 0);
            BigInteger[] rs = signer.generateSignature(digest);
            try {
                return StandardDSAEncoding.INSTANCE.encode(k1.getN(), rs[0], rs[1]);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        });
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
