package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import java.security.SecureRandom;

/**
 * X25519 (RFC 7748) on the raw 32-byte little-endian values Noise puts on the wire. Not API.
 *
 * <p>The arithmetic is Bouncy Castle's RFC 7748 implementation, called directly (no JCA provider
 * is registered). The JDK's {@code XDH} provider computes the same function but took about 0.2 ms
 * per operation on this project's machines against Bouncy Castle's 0.04 ms for a public key (a
 * fixed-base multiplication with precomputed tables) and 0.11 ms for a Diffie-Hellman; four of
 * them run per Noise XX side, so the choice is most of a handshake's CPU
 * (guardian-pool-benchmarks/RESULTS.md, "Bouncy Castle's curves").
 */
final class X25519 {

    static final int KEY_LENGTH = 32;

    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        // Builds the fixed-base tables once, at class load, rather than inside a first handshake.
        org.bouncycastle.math.ec.rfc7748.X25519.precompute();
    }

    private X25519() {
    }

    /** @return a fresh private key: 32 random bytes (clamped by every operation, RFC 7748 section 5) */
    static byte[] generatePrivate() {
        byte[] k = new byte[KEY_LENGTH];
        RANDOM.nextBytes(k);
        return k;
    }

    /** @return the raw public key of a raw private key */
    static byte[] publicOf(byte[] privateKey) {
        checkLength(privateKey);
        byte[] publicKey = new byte[KEY_LENGTH];
        org.bouncycastle.math.ec.rfc7748.X25519.scalarMultBase(privateKey, 0, publicKey, 0);
        return publicKey;
    }

    /**
     * @param privateKey our raw private key
     * @param publicKey the remote's raw public key (u-coordinate, little-endian; the top bit is
     *     masked and values at or above p are reduced, as RFC 7748 section 5 says)
     * @return the 32-byte shared secret
     * @throws TransportException {@link Kind#BAD_SIGNATURE} if the result is all zero: the remote
     *     sent a point of small order, which Noise (section 12.1) lets implementations refuse
     */
    static byte[] dh(byte[] privateKey, byte[] publicKey) {
        checkLength(privateKey);
        checkLength(publicKey);
        byte[] secret = new byte[KEY_LENGTH];
        if (!org.bouncycastle.math.ec.rfc7748.X25519.calculateAgreement(privateKey, 0, publicKey, 0, secret, 0)) {
            throw new TransportException(Kind.BAD_SIGNATURE,
                    "the remote's X25519 key has small order (the Diffie-Hellman result is zero)");
        }
        return secret;
    }

    private static void checkLength(byte[] key) {
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("an X25519 key is 32 bytes, got " + key.length);
        }
    }
}
