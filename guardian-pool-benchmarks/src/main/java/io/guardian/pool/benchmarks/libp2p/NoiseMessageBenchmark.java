package io.guardian.pool.benchmarks.libp2p;

import io.guardian.pool.internal.libp2p.noise.CipherState;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One Noise transport message sealed and opened through our {@code CipherState} (ChaCha20-Poly1305,
 * a cipher init per message as the JDK requires per nonce), by plaintext size: what a message
 * costs besides its bytes. 0 bytes is the per-message cost alone (init, Poly1305 key, tag);
 * 64 is a small request; 16,384 is one yamux frame of the default size; 65,519 is Noise's largest
 * message. The per-byte cost of the large sizes against the fixed cost of the small ones says how
 * much sealing a turn's frames into fewer messages can save. Not API.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class NoiseMessageBenchmark {

    private static final byte[] NO_AD = new byte[0];

    /** Plaintext bytes per message. */
    @Param({"0", "64", "16384", "65519"})
    public int size;

    private CipherState sender;
    private CipherState receiver;
    private byte[] plaintext;
    private byte[] sealed;
    private byte[] opened;

    /** A key both ends share and a random plaintext. */
    @Setup
    public void setUp() {
        byte[] key = new byte[32];
        new Random(3).nextBytes(key);
        sender = new CipherState(key);
        receiver = new CipherState(key);
        plaintext = new byte[size];
        new Random(4).nextBytes(plaintext);
        sealed = new byte[size + CipherState.TAG_LENGTH];
        opened = new byte[size];
    }

    /**
     * Seals then opens one message (the two ends' work for it).
     *
     * @return bytes opened, so nothing is optimised away
     */
    @Benchmark
    public int sealAndOpen() {
        sender.encrypt(NO_AD, plaintext, 0, size, sealed, 0);
        return receiver.decrypt(NO_AD, sealed, 0, sealed.length, opened, 0);
    }
}
