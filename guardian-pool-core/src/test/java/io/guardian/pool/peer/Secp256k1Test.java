package io.guardian.pool.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.Test;

/**
 * secp256k1 verification (and the RSA and ECDSA paths beside it) against go-libp2p's own
 * signature fixtures, then seeded random keys signed here with Bouncy Castle's ECDSA (RFC 6979
 * nonces), and every malformed key or signature a peer could send.
 */
class Secp256k1Test {

    private static final X9ECParameters K1 = CustomNamedCurves.getByName("secp256k1");
    private static final ECDomainParameters CURVE = new ECDomainParameters(K1.getCurve(), K1.getG(), K1.getN(), K1.getH());
    private static final HexFormat HEX = HexFormat.of();

    /** One row of conformance/signatures.tsv. */
    record Fixture(String type, byte[] key, byte[] message, byte[] signature) {
    }

    static List<Fixture> fixtures() throws IOException {
        List<Fixture> rows = new ArrayList<>();
        try (InputStream in = Secp256k1Test.class.getResourceAsStream("/conformance/signatures.tsv")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t");
                rows.add(new Fixture(f[0], HEX.parseHex(f[1]), f[2].getBytes(StandardCharsets.UTF_8), HEX.parseHex(f[3])));
            }
        }
        return rows;
    }

    @Test
    void goLibp2psSignatureFixturesVerifyAndATamperedMessageDoesNot() throws IOException {
        List<Fixture> rows = fixtures();
        assertThat(rows).extracting(Fixture::type).containsExactlyInAnyOrder("rsa", "secp256k1", "ecdsa");
        for (Fixture row : rows) {
            assertThat(PeerIdentity.verify(row.key(), row.message(), row.signature())).as(row.type()).isTrue();
            byte[] other = row.message().clone();
            other[0] ^= 1;
            assertThat(PeerIdentity.verify(row.key(), other, row.signature())).as(row.type() + ", tampered").isFalse();
        }
    }

    @Test
    void seededRandomKeysAndMessagesVerifyCompressedAndUncompressedWithEitherS() {
        Random random = new Random(256_1);
        for (int i = 0; i < 100; i++) {
            BigInteger d = new BigInteger(256, random).mod(CURVE.getN().subtract(BigInteger.ONE)).add(BigInteger.ONE);
            ECPoint q = CURVE.getG().multiply(d).normalize();
            byte[] message = new byte[random.nextInt(200)];
            random.nextBytes(message);
            BigInteger[] rs = sign(d, message);
            byte[] compressed = q.getEncoded(true);
            byte[] uncompressed = q.getEncoded(false);
            assertThat(Secp256k1.verify(compressed, message, der(rs[0], rs[1]))).as("case %d", i).isTrue();
            assertThat(Secp256k1.verify(uncompressed, message, der(rs[0], rs[1]))).as("case %d", i).isTrue();
            // go-libp2p (dcrd's secp256k1) does not insist on the low S its signer writes: neither do we.
            assertThat(Secp256k1.verify(compressed, message, der(rs[0], CURVE.getN().subtract(rs[1])))).isTrue();
            byte[] tampered = Arrays.copyOf(message, message.length + 1);
            assertThat(Secp256k1.verify(compressed, tampered, der(rs[0], rs[1]))).isFalse();
            assertThat(PeerIdentity.verify(KeyProtobuf.encode(KeyProtobuf.SECP256K1, compressed), message,
                    der(rs[0], rs[1]))).isTrue();
        }
    }

    @Test
    void malformedSignaturesAreFailedChecksNotExceptions() {
        BigInteger d = BigInteger.valueOf(0x5eed);
        byte[] key = CURVE.getG().multiply(d).getEncoded(true);
        byte[] message = "noise-libp2p-static-key:".getBytes(StandardCharsets.UTF_8);
        BigInteger[] rs = sign(d, message);
        byte[] good = der(rs[0], rs[1]);
        assertThat(Secp256k1.verify(key, message, good)).isTrue();
        BigInteger n = CURVE.getN();
        List<byte[]> bad = new ArrayList<>(List.of(
                new byte[0],
                Arrays.copyOf(good, good.length + 1), // a trailing byte
                Arrays.copyOf(good, good.length - 1), // cut short
                der(BigInteger.ZERO, rs[1]),
                der(rs[0], BigInteger.ZERO),
                der(n, rs[1]), // r = n
                der(rs[0], n.add(rs[1])), // s + n: the same residue, out of range
                new byte[200]));
        byte[] wrongTag = good.clone();
        wrongTag[0] = 0x31;
        bad.add(wrongTag);
        byte[] wrongLength = good.clone();
        wrongLength[1]++;
        bad.add(wrongLength);
        bad.add(integers(new byte[] {0, 1}, unsigned(rs[1]))); // r padded with a needless zero
        bad.add(integers(new byte[] {(byte) 0x80, 1}, unsigned(rs[1]))); // r negative
        for (byte[] signature : bad) {
            assertThat(Secp256k1.verify(key, message, signature)).as(HEX.formatHex(signature)).isFalse();
        }
    }

    @Test
    void keysThatAreNotPointsOnTheCurveFail() {
        BigInteger d = BigInteger.valueOf(77);
        ECPoint q = CURVE.getG().multiply(d).normalize();
        byte[] message = {1, 2, 3};
        BigInteger[] rs = sign(d, message);
        byte[] signature = der(rs[0], rs[1]);
        byte[] compressed = q.getEncoded(true);
        byte[] hybrid = q.getEncoded(false);
        hybrid[0] = (byte) (q.getAffineYCoord().testBitZero() ? 0x07 : 0x06);
        byte[] offCurve = q.getEncoded(false);
        offCurve[64] ^= 1;
        byte[] xNotOnCurve = xWithoutAPoint();
        byte[] xAboveP = new byte[33];
        xAboveP[0] = 0x02;
        Arrays.fill(xAboveP, 1, 33, (byte) 0xff);
        for (byte[] key : List.of(new byte[0], new byte[] {0}, Arrays.copyOf(compressed, 32), Arrays.copyOf(compressed, 34),
                hybrid, offCurve, xNotOnCurve, xAboveP)) {
            assertThat(Secp256k1.verify(key, message, signature)).as(HEX.formatHex(key)).isFalse();
        }
        assertThat(Secp256k1.verify(compressed, message, signature)).isTrue();
    }

    /** @return a compressed encoding whose x has no y on the curve (found by trying x = 1, 2, ...) */
    private static byte[] xWithoutAPoint() {
        for (int x = 1; ; x++) {
            byte[] encoded = new byte[33];
            encoded[0] = 0x02;
            encoded[32] = (byte) x;
            try {
                CURVE.getCurve().decodePoint(encoded);
            } catch (IllegalArgumentException noSquareRoot) {
                return encoded;
            }
        }
    }

    private static BigInteger[] sign(BigInteger d, byte[] message) {
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
        signer.init(true, new ECPrivateKeyParameters(d, CURVE));
        try {
            return signer.generateSignature(MessageDigest.getInstance("SHA-256").digest(message));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Minimal big-endian two's-complement bytes of a non-negative value, as DER writes an INTEGER. */
    private static byte[] unsigned(BigInteger value) {
        return value.toByteArray();
    }

    private static byte[] der(BigInteger r, BigInteger s) {
        return integers(unsigned(r), unsigned(s));
    }

    private static byte[] integers(byte[] r, byte[] s) {
        byte[] out = new byte[6 + r.length + s.length];
        out[0] = 0x30;
        out[1] = (byte) (4 + r.length + s.length);
        out[2] = 0x02;
        out[3] = (byte) r.length;
        System.arraycopy(r, 0, out, 4, r.length);
        out[4 + r.length] = 0x02;
        out[5 + r.length] = (byte) s.length;
        System.arraycopy(s, 0, out, 6 + r.length, s.length);
        return out;
    }
}
