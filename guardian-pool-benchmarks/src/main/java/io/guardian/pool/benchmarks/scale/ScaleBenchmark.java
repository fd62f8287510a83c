package io.guardian.pool.benchmarks.scale;

import io.guardian.pool.HealthReport;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.Transport;
import io.guardian.pool.benchmarks.support.BenchPools;
import io.guardian.pool.benchmarks.support.KeyPlan;
import io.guardian.pool.benchmarks.support.Warm;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Suite 3: the pool holding one idle, authenticated connection to each of {@code peers} peers.
 * The peers run in separate listener JVMs ({@link PeerFarm}), one {@code PeerListener} per
 * identity, so that the pool's JVM spends its open-files limit on its own sockets only.
 *
 * <ul>
 *   <li>{@link #acquireRelease}: acquire and release, one thread walking all peers in a shuffled
 *       order, to compare with {@code peers=1}. The target is stated for this one.
 *   <li>{@link #acquireReleaseHotPeer}: acquire and release always the same peer while the pool
 *       holds idle connections to all N. That peer's objects stay in the caches, so against
 *       {@code peers=1} it shows what the pool's own code pays for its size (tables, counters,
 *       limits), apart from the cache misses of the uniform walk. {@link KeyedWalkFloorBenchmark}
 *       shows what those misses cost a keyed lookup with no pool at all.
 *   <li>{@link #healthCheckPass}: one {@code checkHealth()} pass, which PINGs every idle
 *       connection and waits for the PONGs. The listener JVMs answer on the same two cores, so
 *       their work is inside this time.
 * </ul>
 * With {@code -Dguardian.bench.resultsDir=<dir>} (run.sh sets it) the setup also measures heap
 * per idle connection while it fills the pool ({@link HeapProbe}) and writes
 * {@code heap-<method>.json} there (each fork at N peers gives an independent reading), and the
 * health pass fork writes {@code health-cpu-<peers>.json}: CPU per pass in the pool's JVM and in
 * the listener JVMs ({@link PassCpu}).
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Threads(1)
public class ScaleBenchmark {

    private static final Logger log = LoggerFactory.getLogger(ScaleBenchmark.class);

    /** Peers, each with one idle connection; run.sh passes 1 and the largest count that fits. */
    @Param({"1", "10000"})
    public int peers;

    /**
     * The pool's transport: {@code GUARDIAN} for suite 3 (the runs of record), {@code LIBP2P} for
     * suite 4's scale run (issue 17 item 4: Noise + yamux connections, an acquire opens a stream,
     * the health pass is a yamux Ping per connection).
     */
    @Param({"GUARDIAN"})
    public String transport;

    private PeerFarms farms;
    private OptimizedConnectionPool pool;
    private PeerId[] ids;
    private Multiaddr[] addresses;
    private long warmed;
    private PassCpu passCpu;
    private String resultsDir;

    /** System property naming the directory for the heap and CPU figures; unset, neither is taken. */
    public static final String RESULTS_DIR_PROPERTY = "guardian.bench.resultsDir";

    /**
     * Starts the listener JVMs and gives the pool one connection to every peer, measuring heap on
     * the way when asked to.
     *
     * @param params names the method this fork runs, for the heap file's name
     * @throws IOException if a listener JVM cannot be started or the heap file written
     */
    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) throws IOException {
        int fit = FileLimits.peersThatFitInPoolJvm(peers);
        if (fit < peers) {
            throw new IllegalStateException("the open-files limit (" + FileLimits.limit() + ") holds only " + fit
                    + " pooled connections in one JVM; raise it (ulimit -n) or run with GUARDIAN_BENCH_PEERS=" + fit);
        }
        farms = PeerFarms.start(peers, Duration.ofMinutes(10));
        ids = farms.ids();
        addresses = farms.addresses();
        pool = BenchPools.create(1, peers, Transport.valueOf(transport));
        passCpu = new PassCpu(farms);
        resultsDir = System.getProperty(RESULTS_DIR_PROPERTY);
        if (resultsDir != null && peers > 1) {
            String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
            HeapProbe.warmMeasuring(pool, farms, Path.of(resultsDir, "heap-" + method + suffix() + ".json"));
        } else {
            Warm.onePerPeer(pool, ids, addresses, 0, peers, 15, TimeUnit.MINUTES);
        }
        warmed = pool.getStats().connectionsCreated();
    }

    /** File-name suffix of the libp2p run's figures, so they sit beside suite 3's under their own names. */
    private String suffix() {
        return transport.equals("GUARDIAN") ? "" : "-" + transport;
    }

    /** Starts counting health-pass CPU afresh, so only the last iteration (a measured one) counts. */
    @Setup(Level.Iteration)
    public void resetPassCpu() {
        passCpu.reset();
    }

    /**
     * Writes the health-pass CPU figures, checks the pool never dialed while measured, then closes
     * the pool and the listener JVMs.
     *
     * @throws IOException if the CPU figures cannot be written
     */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try {
            if (resultsDir != null) {
                passCpu.write(peers, Path.of(resultsDir, "health-cpu-" + peers + suffix() + ".json"));
            }
            BenchPools.requireNoDialsSince(pool, warmed);
        } finally {
            long started = System.nanoTime();
            pool.close();
            long poolClosed = System.nanoTime();
            farms.close();
            log.info("teardown at {} peers: pool.close() took {} ms, stopping the listener JVMs {} ms", peers,
                    (poolClosed - started) / 1_000_000, (System.nanoTime() - poolClosed) / 1_000_000);
        }
    }

    /** The single thread's walk over all peers. */
    @State(Scope.Thread)
    public static class Walker {

        KeyPlan.Walk walk;
        /** The peer {@link #acquireReleaseHotPeer} uses: the first of the walk, so any seeded peer. */
        int hotPeer;

        /**
         * Gives the thread every peer, shuffled.
         *
         * @param benchmark the benchmark state, for the peer count
         * @param thread this thread's index and the thread count
         */
        @Setup(Level.Trial)
        public void setUp(ScaleBenchmark benchmark, ThreadParams thread) {
            int[] keys = KeyPlan.keysFor(benchmark.peers, thread.getThreadIndex(), thread.getThreadCount());
            walk = new KeyPlan.Walk(keys);
            hotPeer = keys[0];
        }
    }

    /**
     * Acquire and release a warm connection, a different peer each time.
     *
     * @param walker the peer walk
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void acquireRelease(Walker walker) {
        acquireAndRelease(walker.walk.next());
    }

    /**
     * The lease stays local, as in a caller's try-with-resources, so the pool's handle is
     * scalar-replaced; handed to JMH's blackhole it would escape (24 B per operation).
     */
    private void acquireAndRelease(int peer) {
        try (PeerConnection lease = pool.acquire(ids[peer], addresses[peer])) {
            if (lease == null) {
                throw new IllegalStateException("acquire returned no lease");
            }
        }
    }

    /**
     * Acquire and release a warm connection, always to the same peer, while the pool also holds
     * one idle connection to each of the other peers.
     *
     * @param walker gives the peer
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void acquireReleaseHotPeer(Walker walker) {
        acquireAndRelease(walker.hotPeer);
    }

    /**
     * One health pass over every idle connection.
     *
     * @return the pass's report (consumed by JMH)
     */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public HealthReport healthCheckPass() {
        passCpu.begin();
        HealthReport report = pool.checkHealth();
        passCpu.end();
        if (report.pinged() != peers) {
            throw new IllegalStateException("health pass pinged " + report.pinged() + " of " + peers
                    + " idle connections (lost " + report.lost() + ", failed " + report.failed() + ", evicted "
                    + report.evicted() + "); its time would not be the time of a pass over all of them");
        }
        return report;
    }
}
