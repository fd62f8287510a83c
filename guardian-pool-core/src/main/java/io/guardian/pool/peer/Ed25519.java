package io.guardian.pool.peer;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Ed25519 through the JDK's provider (Java 15+), converting between the raw 32-byte keys libp2p
 * uses and the JDK's key objects. Not API.
 */
final class Ed25519 {

    static final int KEY_LENGTH = 32;
    static final int SIGNATURE_LENGTH = 64;
    static final String ALGORITHM = "Ed25519";

    /** DER prefix of an X.509 SubjectPublicKeyInfo for Ed25519 (RFC 8410); the raw key follows. */
    private static final byte[] X509_PREFIX = {
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
    };

    private Ed25519() {
    }

    static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no Ed25519 provider (Java 15+ is required)", e);
        }
    }

    /**
     * Rebuilds the key pair of a 32-byte seed. The JDK has no public API to compute an Ed25519
     * public key from a private one, but its key pair generator draws exactly the 32-byte seed
     * from the supplied {@link SecureRandom}; handing it one that returns our seed yields the
     * pair. The check on the private half makes a JDK that behaves otherwise fail loudly instead
     * of producing a wrong PeerId.
     */
    static KeyPair fromSeed(byte[] seed) {
        KeyPair pair;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM);
            generator.initialize(NamedParameterSpec.ED25519, new SeedRandom(seed));
            pair = generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no Ed25519 provider (Java 15+ is required)", e);
        }
        byte[] used = ((EdECPrivateKey) pair.getPrivate()).getBytes().orElse(new byte[0]);
        boolean same = Arrays.equals(used, seed);
        Arrays.fill(used, (byte) 0);
        if (!same) {
            throw new IllegalStateException("this JDK's Ed25519 key generator did not use the supplied seed;"
                    + " cannot derive the public key of a stored private key");
        }
        return pair;
    }

    static byte[] seedOf(PrivateKey key) {
        return ((EdECPrivateKey) key).getBytes()
                .orElseThrow(() -> new IllegalStateException("the JDK did not expose the Ed25519 private key bytes"));
    }

    static byte[] raw(PublicKey key) {
        byte[] encoded = key.getEncoded();
        if (encoded.length != X509_PREFIX.length + KEY_LENGTH
                || !Arrays.equals(encoded, 0, X509_PREFIX.length, X509_PREFIX, 0, X509_PREFIX.length)) {
            throw new IllegalStateException("unexpected X.509 encoding of an Ed25519 public key");
        }
        return Arrays.copyOfRange(encoded, X509_PREFIX.length, encoded.length);
    }

    static byte[] sign(PrivateKey key, byte[] data) {
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initSign(key);
            signature.update(data);
            return signature.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    /**
     * @return whether {@code signature} is valid; false for a key that is not a curve point or a
     *     signature of the wrong size, never an exception
     */
    static boolean verify(byte[] rawPublicKey, byte[] data, byte[] signature) {
        if (rawPublicKey.length != KEY_LENGTH || signature.length != SIGNATURE_LENGTH) {
            return false;
        }
        if (!isCanonicalAndNotSmallOrder(rawPublicKey) || !isCanonicalScalar(signature, KEY_LENGTH)) {
            return false;
        }
        byte[] encoded = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + KEY_LENGTH);
        System.arraycopy(rawPublicKey, 0, encoded, X509_PREFIX.length, KEY_LENGTH);
        try {
            PublicKey key = KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(encoded));
            Signature verifier = Signature.getInstance(ALGORITHM);
            verifier.initVerify(key);
            verifier.update(data);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            // Peers send these bytes: a malformed key or signature is a failed check, not an error.
            return false;
        }
    }

    /**
     * Whether a public key is a canonical encoding of a point outside the small-order subgroup.
     * The JDK accepts small-order keys: with the identity point {@code 01 00..00}, the signature
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

    /** A SecureRandom that yields one given seed, once. */
    private static final class SeedRandom extends SecureRandom {
        SeedRandom(byte[] seed) {
            super(new SeedSpi(seed), null);
        }
    }

    private static final class SeedSpi extends SecureRandomSpi {
        private final byte[] seed;
        private boolean used;

        SeedSpi(byte[] seed) {
            this.seed = seed;
        }

        @Override
        protected void engineSetSeed(byte[] ignored) {
            // The output is fixed; extra seed material has nothing to mix into.
        }

        @Override
        protected void engineNextBytes(byte[] bytes) {
            if (used || bytes.length != seed.length) {
                throw new IllegalStateException("the Ed25519 key generator asked for " + bytes.length
                        + " random bytes; expected one request for the " + seed.length + "-byte seed");
            }
            System.arraycopy(seed, 0, bytes, 0, seed.length);
            used = true;
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            throw new UnsupportedOperationException("a fixed-seed source cannot generate seed material");
        }
    }
}
