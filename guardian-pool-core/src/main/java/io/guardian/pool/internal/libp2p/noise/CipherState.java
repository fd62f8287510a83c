package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Noise {@code CipherState} (Noise spec rev 34, section 5.1) for ChaCha20-Poly1305: a key and a
 * 64-bit message counter {@code n}. Not API, and not thread-safe: one connection direction owns
 * it, on one thread at a time.
 *
 * <p>The nonce is 32 zero bits followed by {@code n} as a little-endian u64 (section 12.3). The
 * counter is unsigned; {@code 2^64-1} is reserved by the spec, so a state whose counter reaches
 * it refuses to encrypt or decrypt ({@link Kind#LIMIT_EXCEEDED}). libp2p never rekeys.
 *
 * <p>For transport speed the key object is made once and a {@link Cipher} is only re-initialised
 * per message (the JDK requires a fresh init per nonce); the methods work on array ranges so
 * callers can encrypt straight into a pooled buffer's backing array. The {@code Cipher} objects
 * (about 1.9 KB each on JDK 17) belong to the thread, one for each direction, not to the state: an
 * idle libp2p connection then holds none, and the threads that run Noise (event loops, offload
 * threads) are few. Only the last initialisation matters to a JDK cipher, so sharing it between
 * states is safe; the one thing it refuses, encrypting twice in a row with the same key and nonce,
 * gets a fresh cipher.
 */
public final class CipherState {

    /** Poly1305 tag length in bytes. */
    public static final int TAG_LENGTH = 16;
    /** The reserved counter value 2^64-1, as a Java long. */
    private static final long MAX_NONCE = -1L;

    /** This thread's ciphers: [0] encrypts, [1] decrypts. */
    private static final ThreadLocal<Cipher[]> CIPHERS = ThreadLocal.withInitial(
            () -> new Cipher[] {newCipher(), newCipher()});

    private final SecretKeySpec key;
    private final byte[] nonce = new byte[12];
    private long n;

    /**
     * @param key the 32-byte key; copied
     * @throws IllegalStateException if the JDK lacks ChaCha20-Poly1305 (it has it since 11)
     */
    public CipherState(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("a ChaCha20-Poly1305 key is 32 bytes, got " + key.length);
        }
        this.key = new SecretKeySpec(key, "ChaCha20");
        CIPHERS.get(); // fails here, not at the first message, on a JDK without the cipher
    }

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance("ChaCha20-Poly1305");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no ChaCha20-Poly1305 cipher", e);
        }
    }

    /**
     * Encrypts {@code length} bytes at {@code in[inOffset]} into {@code out[outOffset]}, writing the
     * ciphertext and the 16-byte tag, and advances the counter. The ranges must not overlap.
     *
     * @param ad associated data (the handshake hash during the handshake, empty in transport)
     * @return bytes written: {@code length + 16}
     * @throws TransportException {@link Kind#LIMIT_EXCEEDED} when the counter is exhausted
     */
    public int encrypt(byte[] ad, byte[] in, int inOffset, int length, byte[] out, int outOffset) {
        Cipher cipher = init(Cipher.ENCRYPT_MODE, ad);
        try {
            int written = cipher.doFinal(in, inOffset, length, out, outOffset);
            n++;
            return written;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
        }
    }

    /**
     * Decrypts and authenticates {@code length} bytes (ciphertext and tag) at {@code in[inOffset]}
     * into {@code out[outOffset]} and advances the counter; on failure the counter stays (spec
     * section 5.1) and nothing is promised about {@code out}.
     *
     * @param ad associated data
     * @return plaintext bytes written: {@code length - 16}
     * @throws TransportException {@link Kind#PROTOCOL_VIOLATION} if the message is shorter than a
     *     tag or does not authenticate; {@link Kind#LIMIT_EXCEEDED} when the counter is exhausted
     */
    public int decrypt(byte[] ad, byte[] in, int inOffset, int length, byte[] out, int outOffset) {
        if (length < TAG_LENGTH) {
            throw new TransportException(Kind.PROTOCOL_VIOLATION, "Noise message of " + length
                    + " bytes is shorter than its 16-byte authentication tag");
        }
        Cipher cipher = init(Cipher.DECRYPT_MODE, ad);
        try {
            int written = cipher.doFinal(in, inOffset, length, out, outOffset);
            n++;
            return written;
        } catch (AEADBadTagException e) {
            throw new TransportException(Kind.PROTOCOL_VIOLATION, "Noise message " + Long.toUnsignedString(n)
                    + " does not authenticate (bad ChaCha20-Poly1305 tag)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
        }
    }

    /**
     * @param ad associated data
     * @param plaintext the message
     * @return a new array: ciphertext and tag
     */
    public byte[] encryptWithAd(byte[] ad, byte[] plaintext) {
        byte[] out = new byte[plaintext.length + TAG_LENGTH];
        encrypt(ad, plaintext, 0, plaintext.length, out, 0);
        return out;
    }

    /**
     * @param ad associated data
     * @param ciphertext ciphertext and tag
     * @return a new array: the plaintext
     * @throws TransportException as {@link #decrypt}
     */
    public byte[] decryptWithAd(byte[] ad, byte[] ciphertext) {
        return decryptWithAd(ad, ciphertext, 0, ciphertext.length);
    }

    /**
     * @param ad associated data
     * @param in the array holding ciphertext and tag
     * @param offset where they start
     * @param length their length
     * @return a new array: the plaintext
     * @throws TransportException as {@link #decrypt}
     */
    public byte[] decryptWithAd(byte[] ad, byte[] in, int offset, int length) {
        if (length < TAG_LENGTH) {
            throw new TransportException(Kind.PROTOCOL_VIOLATION, "Noise message of " + length
                    + " bytes is shorter than its 16-byte authentication tag");
        }
        byte[] out = new byte[length - TAG_LENGTH];
        decrypt(ad, in, offset, length, out, 0);
        return out;
    }

    /** @return the counter {@code n}: messages processed so far, as an unsigned value */
    public long nonce() {
        return n;
    }

    /**
     * Sets the counter, as the spec's {@code SetNonce}; tests use it to reach exhaustion.
     *
     * @param value the next counter, unsigned
     */
    public void setNonce(long value) {
        n = value;
    }

    private Cipher init(int mode, byte[] ad) {
        if (n == MAX_NONCE) {
            throw new TransportException(Kind.LIMIT_EXCEEDED,
                    "Noise nonce exhausted after 2^64-1 messages; the connection must be replaced");
        }
        long v = n;
        for (int i = 4; i < 12; i++) {
            nonce[i] = (byte) v;
            v >>>= 8;
        }
        Cipher[] ciphers = CIPHERS.get();
        int slot = mode == Cipher.ENCRYPT_MODE ? 0 : 1;
        Cipher cipher = ciphers[slot];
        try {
            // IvParameterSpec copies the array, so reusing this one is safe.
            cipher.init(mode, key, new IvParameterSpec(nonce));
        } catch (InvalidKeyException e) {
            // The JDK refuses to encrypt with the key and nonce of its previous encryption (another
            // state with the same key did, e.g. a test's twin): a fresh cipher has no previous one.
            cipher = newCipher();
            ciphers[slot] = cipher;
            try {
                cipher.init(mode, key, new IvParameterSpec(nonce));
            } catch (InvalidKeyException | InvalidAlgorithmParameterException again) {
                throw new IllegalStateException("ChaCha20-Poly1305 refused its key or nonce", again);
            }
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 refused its key or nonce", e);
        }
        if (ad.length > 0) {
            cipher.updateAAD(ad);
        }
        return cipher;
    }

    /** Shows the counter only, never the key. */
    @Override
    public String toString() {
        return "CipherState[n=" + Long.toUnsignedString(n) + "]";
    }
}
