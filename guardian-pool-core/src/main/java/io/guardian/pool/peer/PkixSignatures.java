package io.guardian.pool.peer;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;

/**
 * Verification of the libp2p key types whose public keys are PKIX DER (SubjectPublicKeyInfo):
 * RSA and ECDSA, both signing a SHA-256 digest, as go-libp2p's {@code crypto/rsa_go.go} and
 * {@code crypto/ecdsa.go} do. Not API: {@link PeerIdentity#verify} is the entry point.
 */
final class PkixSignatures {

    /** go-libp2p's {@code MinRsaKeyBits}: smaller RSA keys are refused when parsed. */
    static final int MIN_RSA_BITS = 2048;
    /** go-libp2p's {@code maxRsaKeyBits}; also bounds the verification work a peer can cause. */
    static final int MAX_RSA_BITS = 8192;

    private PkixSignatures() {
    }

    /** @return whether the signature verifies; false for anything malformed, never an exception */
    static boolean verifyRsa(byte[] pkixDer, byte[] data, byte[] signature) {
        try {
            PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(pkixDer));
            int bits = ((RSAPublicKey) key).getModulus().bitLength();
            if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
                return false;
            }
            return verify("SHA256withRSA", key, data, signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            // Peers send these bytes: a malformed key or signature is a failed check, not an error.
            return false;
        }
    }

    /** @return whether the DER-encoded ECDSA signature verifies; false for anything malformed */
    static boolean verifyEcdsa(byte[] pkixDer, byte[] data, byte[] signature) {
        try {
            PublicKey key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(pkixDer));
            return verify("SHA256withECDSA", key, data, signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static boolean verify(String algorithm, PublicKey key, byte[] data, byte[] signature)
            throws GeneralSecurityException {
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(key);
        verifier.update(data);
        return verifier.verify(signature);
    }
}
