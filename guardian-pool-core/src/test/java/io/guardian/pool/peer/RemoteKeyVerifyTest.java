package io.guardian.pool.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** PeerIdentity.verify on the key types a libp2p remote may present, and the Ed25519 strictness. */
class RemoteKeyVerifyTest {

    private static final byte[] DATA = "noise-libp2p-static-key:0123456789abcdef0123456789abcdef".getBytes();
    private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));

    @Test
    void rsaOf2048BitsVerifiesAndSmallerKeysDoNot() throws Exception {
        assertThat(verifyPkix(0, "RSA", 2048, "SHA256withRSA")).isTrue();
        assertThat(verifyPkix(0, "RSA", 1024, "SHA256withRSA")).isFalse();
    }

    @Test
    void ecdsaP256Verifies() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = g.generateKeyPair();
        byte[] key = KeyProtobuf.encode(KeyProtobuf.ECDSA, pair.getPublic().getEncoded());
        byte[] sig = sign("SHA256withECDSA", pair);
        assertThat(PeerIdentity.verify(key, DATA, sig)).isTrue();
        sig[sig.length - 1] ^= 1;
        assertThat(PeerIdentity.verify(key, DATA, sig)).isFalse();
        assertThat(PeerId.fromPublicKey(key).toString()).startsWith("Qm");
    }

    @Test
    void secp256k1WithoutAValidSignatureDoesNotVerify() {
        // The peer-ids spec's secp256k1 key (peerid.tsv); Secp256k1Test verifies real signatures.
        byte[] key = HexFormat.of().parseHex("08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99");
        assertThat(PeerIdentity.verify(key, DATA, new byte[70])).isFalse();
    }

    @Test
    void everySmallOrderEd25519PointIsRefusedEvenWithTheForgeryTheJdkAccepts() {
        // The identity point as key with R = identity, S = 0 verifies any message in the JDK 17.
        byte[] identity = new byte[32];
        identity[0] = 1;
        byte[] forged = new byte[64];
        forged[0] = 1;
        assertThat(PeerIdentity.verify(KeyProtobuf.encode(KeyProtobuf.ED25519, identity), DATA, forged)).isFalse();
        String[] smallOrder = {
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0000000000000000000000000000000000000000000000000000000000000080",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        };
        for (String hex : smallOrder) {
            byte[] key = HexFormat.of().parseHex(hex);
            assertThat(Ed25519.isCanonicalAndNotSmallOrder(key)).as(hex).isFalse();
            assertThat(isOnCurve(key)).as("%s is a curve point", hex).isTrue();
        }
        // y = p (non-canonical encoding of y = 0) and y = p + 1 (of the identity).
        assertThat(Ed25519.isCanonicalAndNotSmallOrder(HexFormat.of()
                .parseHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"))).isFalse();
        assertThat(Ed25519.isCanonicalAndNotSmallOrder(HexFormat.of()
                .parseHex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"))).isFalse();
        assertThat(Ed25519.isCanonicalAndNotSmallOrder(Ed25519.publicKeyOf(Ed25519.generateSeed()))).isTrue();
    }

    @Test
    void aSignatureWithSAtOrAboveTheGroupOrderIsRefused() {
        PeerIdentity id = PeerIdentity.generate();
        byte[] sig = id.sign(DATA);
        assertThat(PeerIdentity.verify(id.publicKeyProtobuf(), DATA, sig)).isTrue();
        BigInteger l = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
        BigInteger s = new BigInteger(1, reverse(java.util.Arrays.copyOfRange(sig, 32, 64))).add(l);
        if (s.bitLength() <= 256) {
            byte[] le = reverse(java.util.Arrays.copyOfRange(s.toByteArray(), Math.max(0, s.toByteArray().length - 32),
                    s.toByteArray().length));
            byte[] malleated = sig.clone();
            java.util.Arrays.fill(malleated, 32, 64, (byte) 0);
            System.arraycopy(le, 0, malleated, 32, le.length);
            assertThat(Ed25519.isCanonicalScalar(malleated, 32)).isFalse();
            assertThat(PeerIdentity.verify(id.publicKeyProtobuf(), DATA, malleated)).isFalse();
        }
    }

    /** -x^2 + y^2 = 1 + d x^2 y^2 has a solution x for this y (with x = 0 only for sign 0). */
    private static boolean isOnCurve(byte[] encoded) {
        byte[] le = encoded.clone();
        boolean sign = (le[31] & 0x80) != 0;
        le[31] &= 0x7f;
        BigInteger y = new BigInteger(1, reverse(le));
        BigInteger d = BigInteger.valueOf(-121665).multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);
        BigInteger y2 = y.multiply(y).mod(P);
        BigInteger x2 = y2.subtract(BigInteger.ONE).multiply(d.multiply(y2).add(BigInteger.ONE).modInverse(P)).mod(P);
        if (x2.signum() == 0) {
            return true; // x = 0: the encoding with the sign bit set is non-canonical but names the same point
        }
        // Euler's criterion: x2 is a square mod p.
        return x2.modPow(P.subtract(BigInteger.ONE).shiftRight(1), P).equals(BigInteger.ONE) || sign;
    }

    private static boolean verifyPkix(int type, String algorithm, int bits, String signatureAlgorithm) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
        g.initialize(bits);
        KeyPair pair = g.generateKeyPair();
        byte[] key = KeyProtobuf.encode(type, pair.getPublic().getEncoded());
        return PeerIdentity.verify(key, DATA, sign(signatureAlgorithm, pair));
    }

    private static byte[] sign(String algorithm, KeyPair pair) throws Exception {
        Signature s = Signature.getInstance(algorithm);
        s.initSign(pair.getPrivate());
        s.update(DATA);
        return s.sign();
    }

    private static byte[] reverse(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }
}
