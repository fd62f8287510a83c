package io.guardian.pool.internal.libp2p.noise;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Noise {@code SymmetricState} (spec rev 34, section 5.2) with SHA-256: the chaining key
 * {@code ck}, the handshake hash {@code h} and the {@link CipherState} that {@code MixKey} keys.
 * Not API; not thread-safe.
 */
final class SymmetricState {

    static final int HASH_LENGTH = 32;
    private static final byte[] EMPTY = new byte[0];

    private final MessageDigest sha256;
    private final Mac hmac;
    private byte[] ck;
    private byte[] h;
    /** Null until the first MixKey: EncryptAndHash then passes plaintext through (section 5.2). */
    private CipherState cipher;

    /** InitializeSymmetric: a name of at most 32 bytes is zero-padded into h, ck = h. */
    SymmetricState(String protocolName) {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
            hmac = Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK lacks SHA-256 or HMAC-SHA256", e);
        }
        byte[] name = protocolName.getBytes(StandardCharsets.US_ASCII);
        h = name.length <= HASH_LENGTH ? Arrays.copyOf(name, HASH_LENGTH) : sha256.digest(name);
        ck = h.clone();
    }

    void mixHash(byte[] data) {
        mixHash(data, 0, data.length);
    }

    void mixHash(byte[] data, int offset, int length) {
        sha256.update(h);
        sha256.update(data, offset, length);
        h = sha256.digest();
    }

    void mixKey(byte[] inputKeyMaterial) {
        byte[][] out = hkdf(ck, inputKeyMaterial);
        ck = out[0];
        cipher = new CipherState(out[1]);
        Arrays.fill(out[1], (byte) 0);
    }

    /** EncryptAndHash: ciphertext = EncryptWithAd(h, plaintext), then MixHash(ciphertext). */
    byte[] encryptAndHash(byte[] plaintext) {
        byte[] out = cipher == null ? plaintext.clone() : cipher.encryptWithAd(h, plaintext);
        mixHash(out);
        return out;
    }

    /** DecryptAndHash over {@code in[offset..offset+length)}; h mixes the ciphertext. */
    byte[] decryptAndHash(byte[] in, int offset, int length) {
        byte[] out = cipher == null ? Arrays.copyOfRange(in, offset, offset + length)
                : cipher.decryptWithAd(h, in, offset, length);
        mixHash(in, offset, length);
        return out;
    }

    boolean hasKey() {
        return cipher != null;
    }

    byte[] handshakeHash() {
        return h.clone();
    }

    /** Split: two CipherStates from HKDF(ck, empty); the initiator sends with the first. */
    CipherState[] split() {
        byte[][] out = hkdf(ck, EMPTY);
        CipherState[] pair = {new CipherState(out[0]), new CipherState(out[1])};
        Arrays.fill(out[0], (byte) 0);
        Arrays.fill(out[1], (byte) 0);
        Arrays.fill(ck, (byte) 0);
        return pair;
    }

    /** HKDF with two outputs (section 4.3): temp = HMAC(ck, ikm), o1 = HMAC(temp, 01), o2 = HMAC(temp, o1 || 02). */
    private byte[][] hkdf(byte[] chainingKey, byte[] inputKeyMaterial) {
        try {
            byte[] temp = hmac(chainingKey, inputKeyMaterial);
            byte[] out1 = hmac(temp, new byte[] {1});
            byte[] in2 = Arrays.copyOf(out1, HASH_LENGTH + 1);
            in2[HASH_LENGTH] = 2;
            byte[] out2 = hmac(temp, in2);
            Arrays.fill(temp, (byte) 0);
            Arrays.fill(in2, (byte) 0);
            return new byte[][] {out1, out2};
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 failed", e);
        }
    }

    private byte[] hmac(byte[] key, byte[] data) throws GeneralSecurityException {
        hmac.init(new SecretKeySpec(key, "HmacSHA256"));
        return hmac.doFinal(data);
    }
}
