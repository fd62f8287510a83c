package io.guardian.pool.benchmarks.libp2p;

import io.guardian.pool.internal.libp2p.Libp2pConnection;
import io.guardian.pool.internal.libp2p.Libp2pDialer;
import io.guardian.pool.internal.libp2p.Libp2pNode;
import io.guardian.pool.internal.libp2p.Libp2pSettings;
import io.guardian.pool.internal.libp2p.StreamChannel;
import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Our libp2p stack against our own {@code PeerListener} on loopback, one operation at a time:
 * a whole upgrade (TCP, multistream, Noise XX, yamux; identify runs after it, in the background)
 * and one stream moving 4 MiB one way (the listener reads and discards it, then closes). The
 * crypto floor these rest on is {@link CryptoFloorBenchmark}, run in the same invocation so only
 * ratios are compared.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class Libp2pTransportBenchmark {

    static final String SINK = "/bench/sink/1.0.0";
    static final int STREAM_BYTES = 4 * 1024 * 1024;
    private static final Duration T = Duration.ofSeconds(30);

    private ExecutorService handlers;
    private PeerIdentity listenerId;
    private PeerListener listener;
    private Libp2pDialer dialer;
    private Libp2pConnection warm;
    private byte[] payload;

    /** Starts the listener and one warm connection for the stream benchmark. */
    @Setup(Level.Trial)
    public void setUp() throws Exception {
        handlers = Executors.newCachedThreadPool();
        listenerId = PeerIdentity.generate();
        listener = PeerListener.builder(listenerId)
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .streamHandler(SINK, stream -> {
                    byte[] buf = new byte[64 * 1024];
                    while (stream.read(buf, 0, buf.length, T) >= 0) {
                        // discard
                    }
                    stream.closeWrite();
                })
                .start();
        EventLoops loops = EventLoops.acquire();
        Libp2pNode node = new Libp2pNode(Libp2pSettings.defaults(PeerIdentity.generate()), handlers, loops.offload());
        dialer = new Libp2pDialer(node, loops);
        warm = dial();
        payload = new byte[STREAM_BYTES];
        new Random(1).nextBytes(payload);
    }

    /** Closes the connections, the dialer and the listener. */
    @TearDown(Level.Trial)
    public void tearDown() {
        dialer.close();
        listener.close();
        handlers.shutdownNow();
    }

    private Libp2pConnection dial() throws Exception {
        return dialer.dial(listenerId.peerId(), listener.listenAddress(), T).get(30, TimeUnit.SECONDS);
    }

    /**
     * One upgrade, dialer's view: connect, multistream, Noise XX (both sides' crypto, the
     * listener's on its offload threads), yamux; then close.
     *
     * @return the connection's remote id, so nothing is optimised away
     */
    @Benchmark
    public Object handshake() throws Exception {
        Libp2pConnection connection = dial();
        connection.close();
        return connection.remotePeer();
    }

    /**
     * 4 MiB on one stream to the sink, half-close, and wait for the sink's close: one-stream
     * throughput is {@value #STREAM_BYTES} bytes over this time.
     *
     * @return bytes read back (0: the sink only closes)
     */
    @Benchmark
    public int oneStream4MiB() {
        try (StreamChannel stream = warm.openStream(SINK)) {
            stream.write(payload);
            stream.closeWrite();
            return stream.read(new byte[1], 0, 1, T) + 1;
        }
    }
}
