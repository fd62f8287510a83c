package io.guardian.pool.benchmarks.acquire;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.benchmarks.support.BenchPools;
import io.guardian.pool.benchmarks.support.KeyPlan;
import io.guardian.pool.benchmarks.support.LocalPeers;
import io.guardian.pool.benchmarks.support.Warm;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Suite 1, our side: acquire a warm connection to a peer and close the lease (which returns it).
 * Every connection is real: a loopback TCP socket to a {@code PeerListener} with its own identity
 * that completed the 1.1 handshake in setup. The measured path does no I/O; teardown fails the
 * run if the pool dialed during measurement.
 *
 * <p>Same keys, key walk and warm-up as {@link ComparisonPoolsBenchmark}; the pool enforces
 * {@code max-total-connections} (keys × 8) and {@code max-connections-per-peer} (8) as configured.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class GuardianAcquireBenchmark {

    /** How many peers (keys) the pool holds connections to; one listener per peer. */
    @Param({"1", "1000"})
    public int keys;

    private LocalPeers peers;
    private OptimizedConnectionPool pool;
    private PeerId[] ids;
    private Multiaddr[] addresses;
    private long warmed;

    /**
     * Starts one listener per key, then dials them (in parallel) so each key has the idle
     * connections the thread count needs.
     *
     * @param params gives the thread count of the method being run
     */
    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        peers = LocalPeers.start(keys);
        ids = peers.ids();
        addresses = peers.addresses();
        pool = BenchPools.create(ComparisonPoolsBenchmark.MAX_THREADS, keys * ComparisonPoolsBenchmark.MAX_THREADS);
        int perKey = KeyPlan.warmPerKey(keys, params.getThreads());
        if (perKey == 1) {
            Warm.onePerPeer(pool, ids, addresses, 0, keys, 5, TimeUnit.MINUTES);
        } else {
            for (int key = 0; key < keys; key++) {
                Warm.manyForOnePeer(pool, ids[key], addresses[key], perKey);
            }
        }
        warmed = pool.getStats().connectionsCreated();
    }

    /** Checks that measurement only reused, then closes the pool and the listeners. */
    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            BenchPools.requireNoDialsSince(pool, warmed);
        } finally {
            pool.close();
            peers.close();
        }
    }

    /** One thread's walk over its peers. */
    @State(Scope.Thread)
    public static class Walker {

        KeyPlan.Walk walk;

        /**
         * Gives this thread its share of the peers.
         *
         * @param benchmark the benchmark state, for the key count
         * @param thread this thread's index and the thread count
         */
        @Setup(Level.Trial)
        public void setUp(GuardianAcquireBenchmark benchmark, ThreadParams thread) {
            walk = new KeyPlan.Walk(KeyPlan.keysFor(benchmark.keys, thread.getThreadIndex(), thread.getThreadCount()));
        }
    }

    /**
     * The lease stays local, as in a caller's try-with-resources: the pool's handle is then
     * scalar-replaced (0 B/op). Handing it to JMH's blackhole instead makes it escape and
     * allocates the handle, 24 B (issue 17 item 5; RESULTS.md).
     */
    private void acquireAndRelease(int key) {
        try (PeerConnection lease = pool.acquire(ids[key], addresses[key])) {
            if (lease == null) {
                throw new IllegalStateException("acquire returned no lease");
            }
        }
    }

    /**
     * Acquire and release with one thread.
     *
     * @param walker this thread's peer walk
     */
    @Benchmark
    @Threads(1)
    public void threads1(Walker walker) {
        acquireAndRelease(walker.walk.next());
    }

    /**
     * Acquire and release with two threads (as many as this machine has cores).
     *
     * @param walker this thread's peer walk
     */
    @Benchmark
    @Threads(2)
    public void threads2(Walker walker) {
        acquireAndRelease(walker.walk.next());
    }

    /**
     * Acquire and release with eight threads, oversubscribed on two cores.
     *
     * @param walker this thread's peer walk
     */
    @Benchmark
    @Threads(ComparisonPoolsBenchmark.MAX_THREADS)
    public void threads8(Walker walker) {
        acquireAndRelease(walker.walk.next());
    }
}
