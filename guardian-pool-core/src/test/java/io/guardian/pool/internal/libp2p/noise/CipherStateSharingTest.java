package io.guardian.pool.internal.libp2p.noise;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cipher states share their thread's JDK ciphers: interleaved states, twins with one key, and
 * states used from several threads all encrypt and decrypt as if each had its own cipher.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CipherStateSharingTest {

    @Test
    void twinStatesWithOneKeyEncryptTheSameMessagesOneAfterTheOther() {
        byte[] key = new byte[32];
        new Random(1).nextBytes(key);
        CipherState a = new CipherState(key);
        CipherState b = new CipherState(key);
        byte[] message = "the same message".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        // The JDK alone refuses a second encryption with the previous key and nonce.
        byte[] first = a.encryptWithAd(new byte[0], message);
        byte[] second = b.encryptWithAd(new byte[0], message);
        assertThat(second).isEqualTo(first);
        assertThat(new CipherState(key).decryptWithAd(new byte[0], second)).isEqualTo(message);
    }

    @Test
    void interleavedStatesOnSeveralThreadsRoundTripSeededMessages() throws Exception {
        Random random = new Random(77);
        int states = 6;
        CipherState[] senders = new CipherState[states];
        CipherState[] receivers = new CipherState[states];
        for (int i = 0; i < states; i++) {
            byte[] key = new byte[32];
            random.nextBytes(key);
            senders[i] = new CipherState(key);
            receivers[i] = new CipherState(key);
        }
        for (int round = 0; round < 300; round++) {
            int i = random.nextInt(states);
            byte[] ad = new byte[random.nextInt(3) == 0 ? 32 : 0];
            random.nextBytes(ad);
            byte[] message = new byte[random.nextInt(2000)];
            random.nextBytes(message);
            CipherState sender = senders[i];
            CipherState receiver = receivers[i];
            // Seal on one thread, open on another, as a connection's two ends on two event loops do.
            byte[] sealed = CompletableFuture.supplyAsync(() -> sender.encryptWithAd(ad, message)).get(10, TimeUnit.SECONDS);
            assertThat(receiver.decryptWithAd(ad, sealed)).as("round %d, state %d", round, i).isEqualTo(message);
        }
    }
}
