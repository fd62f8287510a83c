package io.guardian.pool.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Our Ed25519 against the JDK's own implementation over seeded random keys and messages: the
 * same public keys and (deterministic) signatures, and each accepts what the other signs.
 */
class Ed25519Test {

    @Test
    void agreesWithTheJdkOnSeededRandomKeysAndMessages() throws Exception {
        Random random = new Random(8032);
        KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
        for (int i = 0; i < 50; i++) {
            KeyPair pair = generator.generateKeyPair();
            byte[] seed = ((EdECPrivateKey) pair.getPrivate()).getBytes().orElseThrow();
            byte[] encoded = pair.getPublic().getEncoded();
            byte[] jdkPublic = Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
            byte[] message = new byte[random.nextInt(200)];
            random.nextBytes(message);

            byte[] ours = Ed25519.publicKeyOf(seed);
            assertThat(ours).as("public key, case %d", i).isEqualTo(jdkPublic);

            Signature jdkSigner = Signature.getInstance("Ed25519");
            jdkSigner.initSign(pair.getPrivate());
            jdkSigner.update(message);
            byte[] jdkSignature = jdkSigner.sign();
            byte[] ourSignature = Ed25519.sign(seed, ours, message);
            assertThat(ourSignature).as("signature, case %d", i).isEqualTo(jdkSignature);
            assertThat(Ed25519.verify(ours, message, jdkSignature)).isTrue();

            Signature jdkVerifier = Signature.getInstance("Ed25519");
            jdkVerifier.initVerify(pair.getPublic());
            jdkVerifier.update(message);
            assertThat(jdkVerifier.verify(ourSignature)).isTrue();

            byte[] tampered = message.length == 0 ? new byte[] {1} : message.clone();
            tampered[0] ^= 1;
            assertThat(Ed25519.verify(ours, tampered, ourSignature)).as("tampered, case %d", i).isFalse();
            byte[] badSignature = ourSignature.clone();
            badSignature[random.nextInt(32)] ^= (byte) (1 << random.nextInt(8));
            assertThat(Ed25519.verify(ours, message, badSignature)).as("bad R, case %d", i).isFalse();
        }
    }

    @Test
    void malformedInputsFailVerificationWithoutAnException() {
        byte[] seed = Ed25519.generateSeed();
        byte[] key = Ed25519.publicKeyOf(seed);
        byte[] signature = Ed25519.sign(seed, key, new byte[] {1, 2, 3});
        assertThat(Ed25519.verify(key, new byte[] {1, 2, 3}, signature)).isTrue();
        assertThat(Ed25519.verify(Arrays.copyOf(key, 31), new byte[] {1, 2, 3}, signature)).isFalse();
        assertThat(Ed25519.verify(key, new byte[] {1, 2, 3}, Arrays.copyOf(signature, 63))).isFalse();
        byte[] notAPoint = new byte[32];
        notAPoint[0] = 2; // y = 2 has no x on the curve
        assertThat(Ed25519.verify(notAPoint, new byte[] {1, 2, 3}, signature)).isFalse();
        assertThatThrownBy(() -> Ed25519.publicKeyOf(new byte[31])).isInstanceOf(IllegalArgumentException.class);
    }
}
