package io.guardian.pool.peer;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Ed25519 (RFC 8032) on the raw 32-byte seeds, keys and 64-byte signatures libp2p uses. Not API.
 *
 * <p>The arithmetic is Bouncy Castle's RFC 8032 implementation, called directly (no JCA provider
 * is registered). The JDK's {@code Ed25519} provider computes the same (deterministic) signatures
 * but took 0.8-0.9 ms per sign or verify on this project's machines against Bouncy Castle's 0.04
 * and 0.09 ms; a verify runs in every handshake (guardian-pool-benchmarks/RESULTS.md, "Bouncy
 * Castle's curves"). Keys and signatures are checked here before the library sees them, so what
 * this class accepts does not depend on which implementation is underneath.
 */
final class Ed25519 {

    static final int KEY_LENGTH = 32;
    static final int SIGNATURE_LENGTH = 64;

    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        // Builds the fixed-base tables once, at class load, rather than inside a first signature.
        org.bouncycastle.math.ec.rfc8032.Ed25519.precompute();
    }

    private Ed25519() {
    }

    /** @return a fresh 32-byte seed (the private key) from the JDK's {@code SecureRandom} */
    static byte[] generateSeed() {
        byte[] seed = new byte[KEY_LENGTH];
        RANDOM.nextBytes(seed);
        return seed;
    }

    /** @return the raw public key of a 32-byte seed */
    static byte[] publicKeyOf(byte[] seed) {
        checkSeed(seed);
        byte[] publicKey = new byte[KEY_LENGTH];
        org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(seed, 0, publicKey, 0);
        return publicKey;
    }

    /**
     * @param seed the signer's 32-byte seed
     * @param publicKey the raw public key of {@code seed}
     * @param data the message
     * @return the 64-byte signature (deterministic: the same inputs always give the same bytes)
     */
    static byte[] sign(byte[] seed, byte[] publicKey, byte[] data) {
        checkSeed(seed);
        byte[] signature = new byte[SIGNATURE_LENGTH];
        org.bouncycastle.math.ec.rfc8032.Ed25519.sign(seed, 0, publicKey, 0, data, 0, data.length, signature, 0);
        return signature;
    }

    /**
     * @return whether {@code signature} is valid; false for a key that is not a curve point, a
     *     key of small order, a non-canonical key or signature, or one of the wrong size, never an
     *     exception
     */
    static boolean verify(byte[] rawPublicKey, byte[] data, byte[] signature) {
        if (rawPublicKey.length != KEY_LENGTH || signature.length != SIGNATURE_LENGTH) {
            return false;
        }
        if (!isCanonicalAndNotSmallOrder(rawPublicKey) || !isCanonicalScalar(signature, KEY_LENGTH)) {
            return false;
        }
        try {
            return org.bouncycastle.math.ec.rfc8032.Ed25519.verify(
                    signature, 0, rawPublicKey, 0, data, 0, data.length);
        } catch (RuntimeException e) {
            // Peers send these bytes: a malformed key or signature is a failed check, not an error.
            return false;
        }
    }

    private static void checkSeed(byte[] seed) {
        if (seed.length != KEY_LENGTH) {
            throw new IllegalArgumentException("an Ed25519 seed is 32 bytes, got " + seed.length);
        }
    }

    /**
     * Whether a public key is a canonical encoding of a point outside the small-order subgroup.
     * Verifiers differ on small-order keys (the JDK's accepts them): with the identity point {@code 01 00..00}, the signature
     * {@code R = 01 00..00, S = 0} verifies for every message, so such a key proves nothing
     * (RFC 8032 section 5.1.7 leaves the check to the application; libsodium and
     * ed25519-dalek's verify_strict refuse these keys). The eight small-order points have the
     * y-coordinates 0, 1, p-1 and the two values below; comparing y with the sign bit cleared
     * covers both signs of x. A y at or above p is a non-canonical encoding.
     */
    static boolean isCanonicalAndNotSmallOrder(byte[] key) {
        byte[] y = key.clone();
        y[KEY_LENGTH - 1] &= 0x7f;
        if (!lessThan(y, 0, FIELD_PRIME)) {
            return false;
        }
        for (byte[] small : SMALL_ORDER_Y) {
            if (Arrays.equals(y, small)) {
                return false;
            }
        }
        return true;
    }

    /** RFC 8032 section 5.1.7: S must be below the group order L, so a signature has one encoding. */
    static boolean isCanonicalScalar(byte[] signature, int offset) {
        return lessThan(signature, offset, GROUP_ORDER);
    }

    /** Compares 32 little-endian bytes of {@code value} at {@code offset} with a little-endian bound. */
    private static boolean lessThan(byte[] value, int offset, byte[] bound) {
        for (int i = KEY_LENGTH - 1; i >= 0; i--) {
            int a = value[offset + i] & 0xff;
            int b = bound[i] & 0xff;
            if (a != b) {
                return a < b;
            }
        }
        return false;
    }

    private static byte[] littleEndian(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    /** p = 2^255 - 19, little-endian. */
    private static final byte[] FIELD_PRIME =
            littleEndian("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");

    /** L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
    private static final byte[] GROUP_ORDER =
            littleEndian("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");

    /** The y-coordinates of the eight points of order 1, 2, 4 and 8 (little-endian, sign bit clear). */
    private static final byte[][] SMALL_ORDER_Y = {
        littleEndian("0000000000000000000000000000000000000000000000000000000000000000"),
        littleEndian("0100000000000000000000000000000000000000000000000000000000000000"),
        littleEndian("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        littleEndian("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
        littleEndian("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    };
}
