package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import javax.crypto.KeyAgreement;

/**
 * X25519 (RFC 7748) through the JDK's {@code XDH} provider, on the raw 32-byte little-endian
 * values Noise puts on the wire. Not API.
 */
final class X25519 {

    static final int KEY_LENGTH = 32;

    /** The base point u = 9: DH(k, 9) is the public key of k, which the JDK 17 offers no other way to compute. */
    private static final byte[] BASE_POINT = new byte[KEY_LENGTH];
    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        BASE_POINT[0] = 9;
    }

    private X25519() {
    }

    /** @return a fresh private key: 32 random bytes (the JDK clamps them as RFC 7748 says) */
    static byte[] generatePrivate() {
        byte[] k = new byte[KEY_LENGTH];
        RANDOM.nextBytes(k);
        return k;
    }

    /** @return the raw public key of a raw private key */
    static byte[] publicOf(byte[] privateKey) {
        return dh(privateKey, BASE_POINT);
    }

    /**
     * @param privateKey our raw private key
     * @param publicKey the remote's raw public key (u-coordinate, little-endian)
     * @return the 32-byte shared secret
     * @throws TransportException {@link Kind#BAD_SIGNATURE} if the result is all zero: the remote
     *     sent a point of small order, which Noise (section 12.1) lets implementations refuse
     */
    static byte[] dh(byte[] privateKey, byte[] publicKey) {
        try {
            KeyFactory factory = KeyFactory.getInstance("XDH");
            PrivateKey priv = factory.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, privateKey));
            PublicKey pub = factory.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, toU(publicKey)));
            KeyAgreement agreement = KeyAgreement.getInstance("XDH");
            agreement.init(priv);
            agreement.doPhase(pub, true);
            byte[] secret = agreement.generateSecret();
            int acc = 0;
            for (byte b : secret) {
                acc |= b;
            }
            if (acc == 0) {
                throw smallOrder();
            }
            return secret;
        } catch (InvalidKeyException e) {
            // The JDK refuses an all-zero result itself ("Point has small order").
            throw smallOrder();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no X25519 (XDH) provider", e);
        }
    }

    private static TransportException smallOrder() {
        return new TransportException(Kind.BAD_SIGNATURE,
                "the remote's X25519 key has small order (the Diffie-Hellman result is zero)");
    }

    /**
     * RFC 7748 section 5: the u-coordinate is little-endian with the top bit masked; values at or
     * above p are accepted and reduced (the JDK reduces them).
     */
    private static BigInteger toU(byte[] raw) {
        if (raw.length != KEY_LENGTH) {
            throw new IllegalArgumentException("an X25519 key is 32 bytes, got " + raw.length);
        }
        byte[] bigEndian = new byte[KEY_LENGTH];
        for (int i = 0; i < KEY_LENGTH; i++) {
            bigEndian[i] = raw[KEY_LENGTH - 1 - i];
        }
        bigEndian[0] &= 0x7f;
        return new BigInteger(1, bigEndian);
    }
}
