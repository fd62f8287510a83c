package io.guardian.pool.benchmarks.endtoend;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.benchmarks.support.BenchPools;
import io.guardian.pool.benchmarks.support.LocalPeers;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Suite 2, our side: a 64-byte request and its echo through the pool, over loopback to a
 * {@code PeerListener} in the same JVM.
 *
 * <ul>
 *   <li>{@link #pooledRequest}: acquire a warm connection, one DATA frame each way, release.
 *   <li>{@link #newConnectionPerRequest}: the same through the same pool, but the connection is
 *       closed when the lease ends ({@code pool.evict(peer)} while leased marks it to close on
 *       return), so every request pays TCP connect, the full 1.1 handshake (two Ed25519
 *       signatures and two verifications) and close, plus the pool's bookkeeping for a new
 *       connection. That is what an application pays without reuse.
 *   <li>{@link #pooledRequestInlineHandler}: as {@link #pooledRequest}, but the listener runs its
 *       handler on the network thread ({@code handlerExecutor(Runnable::run)}), which removes two
 *       of the four thread hand-offs of a round trip. It shows how much of the gap to the floor the
 *       listener's default handler pool accounts for.
 * </ul>
 */
@BenchmarkMode({Mode.AverageTime, Mode.Throughput})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(1)
public class GuardianRequestBenchmark {

    /** One echo peer (handler on the listener's default handler pool) and a pool that reaches it. */
    @State(Scope.Thread)
    public static class Peer {

        private final boolean inlineHandler;
        PeerListener listener;
        OptimizedConnectionPool pool;
        PeerId id;
        Multiaddr address;
        final byte[] request = EndToEnd.message(SocketFloorBenchmark.MESSAGE_SIZE);

        /** A peer whose handler runs on the listener's default handler pool. */
        public Peer() {
            this(false);
        }

        Peer(boolean inlineHandler) {
            this.inlineHandler = inlineHandler;
        }

        /** Starts the peer, builds the pool and checks one round trip is a true echo. */
        @Setup(Level.Trial)
        public void setUp() {
            PeerIdentity identity = PeerIdentity.generate();
            listener = inlineHandler ? LocalPeers.startInlineEcho(identity) : LocalPeers.startEcho(identity);
            id = listener.peerId();
            address = listener.listenAddress();
            pool = BenchPools.create(1, 1);
            try (PeerConnection lease = pool.acquire(id, address)) {
                EndToEnd.checkEcho(request, lease.request(request, BenchPools.REQUEST_TIMEOUT));
            }
        }

        /** Closes the pool and the peer. */
        @TearDown(Level.Trial)
        public void tearDown() {
            pool.close();
            listener.close();
        }
    }

    /** One echo peer whose handler runs on the listener's network thread. */
    @State(Scope.Thread)
    public static class InlinePeer extends Peer {

        /** A peer with an inline handler. */
        public InlinePeer() {
            super(true);
        }
    }

    /**
     * Request and reply over a reused connection.
     *
     * @param peer the peer and pool
     * @return the reply
     */
    @Benchmark
    public byte[] pooledRequest(Peer peer) {
        try (PeerConnection lease = peer.pool.acquire(peer.id, peer.address)) {
            return lease.request(peer.request, BenchPools.REQUEST_TIMEOUT);
        }
    }

    /**
     * Request and reply over a reused connection to a peer whose handler runs inline.
     *
     * @param peer the peer and pool
     * @return the reply
     */
    @Benchmark
    public byte[] pooledRequestInlineHandler(InlinePeer peer) {
        try (PeerConnection lease = peer.pool.acquire(peer.id, peer.address)) {
            return lease.request(peer.request, BenchPools.REQUEST_TIMEOUT);
        }
    }

    /**
     * Request and reply over a connection dialed and authenticated for this request alone.
     *
     * @param peer the peer and pool
     * @return the reply
     */
    @Benchmark
    public byte[] newConnectionPerRequest(Peer peer) {
        try (PeerConnection lease = peer.pool.acquire(peer.id, peer.address)) {
            peer.pool.evict(peer.id);
            return lease.request(peer.request, BenchPools.REQUEST_TIMEOUT);
        }
    }
}
