package io.guardian.pool.peer;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Verification of a remote's secp256k1 signatures as libp2p makes them (libp2p/specs
 * peer-ids/peer-ids.md, "Secp256k1"): the key is the curve point in SEC 1 form (33 bytes
 * compressed, as every implementation writes it; 65 bytes uncompressed is accepted too, as
 * go-libp2p's parser does), the signature is ECDSA over the SHA-256 of the message, DER-encoded.
 * Not API: {@link PeerIdentity#verify} is the entry point.
 *
 * <p>The curve arithmetic is Bouncy Castle's (the JDK removed secp256k1 in 16); no JCA provider is
 * registered. Everything here comes from the network: the DER is parsed strictly and by hand with
 * every length checked before use, the point must lie on the curve, r and s must be in [1, n-1],
 * and anything malformed is a failed verification, never an exception.
 */
final class Secp256k1 {

    /** SEC 1 compressed point: a 0x02/0x03 prefix and x. */
    static final int COMPRESSED_LENGTH = 33;
    /** SEC 1 uncompressed point: a 0x04 prefix, x and y. */
    static final int UNCOMPRESSED_LENGTH = 65;
    /** DER of two 33-byte INTEGERs in a SEQUENCE: the longest well-formed signature. */
    static final int MAX_SIGNATURE_LENGTH = 72;

    private static final ECDomainParameters CURVE;

    static {
        X9ECParameters p = CustomNamedCurves.getByName("secp256k1");
        CURVE = new ECDomainParameters(p.getCurve(), p.getG(), p.getN(), p.getH());
    }

    private Secp256k1() {
    }

    /**
     * @param point the SEC 1 encoded public key ({@code Data} of a libp2p secp256k1 key)
     * @param data the signed message
     * @param signature the DER signature
     * @return whether the signature verifies; false for anything malformed
     */
    static boolean verify(byte[] point, byte[] data, byte[] signature) {
        ECPoint q = decodePoint(point);
        BigInteger[] rs = decodeSignature(signature);
        if (q == null || rs == null) {
            return false;
        }
        ECDSASigner verifier = new ECDSASigner();
        verifier.init(false, new ECPublicKeyParameters(q, CURVE));
        return verifier.verifySignature(sha256(data), rs[0], rs[1]);
    }

    /** @return the point, or {@code null} unless a well-formed SEC 1 encoding of a point on the curve */
    static ECPoint decodePoint(byte[] encoded) {
        boolean compressed = encoded.length == COMPRESSED_LENGTH && (encoded[0] == 0x02 || encoded[0] == 0x03);
        boolean uncompressed = encoded.length == UNCOMPRESSED_LENGTH && encoded[0] == 0x04;
        if (!compressed && !uncompressed) {
            return null; // no hybrid (0x06/0x07) forms, no point at infinity
        }
        try {
            ECPoint q = CURVE.getCurve().decodePoint(encoded);
            return q.isInfinity() || !q.isValid() ? null : q.normalize();
        } catch (IllegalArgumentException e) {
            return null; // x not on the curve, or a coordinate not below p
        }
    }

    /**
     * Strict DER: {@code 30 len 02 lenR R 02 lenS S}, short-form lengths, minimal positive
     * INTEGERs (a leading zero only before a byte with its top bit set), nothing after.
     *
     * @return {r, s}, both in [1, n-1], or {@code null} if anything else
     */
    static BigInteger[] decodeSignature(byte[] der) {
        if (der.length < 8 || der.length > MAX_SIGNATURE_LENGTH || der[0] != 0x30 || der[1] != der.length - 2) {
            return null;
        }
        int at = 2;
        BigInteger[] rs = new BigInteger[2];
        for (int i = 0; i < 2; i++) {
            if (at + 2 > der.length || der[at] != 0x02) {
                return null;
            }
            int length = der[at + 1];
            at += 2;
            if (length < 1 || length > 33 || at + length > der.length) {
                return null;
            }
            boolean negative = (der[at] & 0x80) != 0;
            boolean paddedNeedlessly = length > 1 && der[at] == 0 && (der[at + 1] & 0x80) == 0;
            if (negative || paddedNeedlessly) {
                return null;
            }
            byte[] magnitude = new byte[length];
            System.arraycopy(der, at, magnitude, 0, length);
            rs[i] = new BigInteger(1, magnitude);
            at += length;
            if (rs[i].signum() == 0 || rs[i].compareTo(CURVE.getN()) >= 0) {
                return null;
            }
        }
        return at == der.length ? rs : null;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
