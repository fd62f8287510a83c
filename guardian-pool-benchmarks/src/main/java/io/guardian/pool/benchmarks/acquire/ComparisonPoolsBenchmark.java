package io.guardian.pool.benchmarks.acquire;

import io.guardian.pool.benchmarks.support.KeyPlan;
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
 * Suite 1, the pools users already know: borrow a warm fake connection for a key and return it at
 * once. Same key walk and warm-up as {@link GuardianAcquireBenchmark}, so the scores compare.
 *
 * <p>Pools ({@code pool} parameter): commons-pool2 {@code GenericKeyedObjectPool} with its
 * default {@code reuseCapacityOnReturn=true} and with it off; httpcore5 {@code StrictConnPool},
 * {@code LaxConnPool} (no global maximum) and {@code RouteSegmentedConnPool}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class ComparisonPoolsBenchmark {

    /**
     * The highest thread count any method below runs with; it sizes the per-key maximum. Other
     * suites that build these pools use it too, so that the configurations are identical.
     */
    public static final int MAX_THREADS = 8;

    /** Which pool; see the class comment. */
    @Param({"commons-pool2", "commons-pool2-no-reuse-capacity", "httpcore5-strict", "httpcore5-lax",
            "httpcore5-segmented"})
    public String pool;

    /** How many keys the pool holds connections for. */
    @Param({"1", "1000"})
    public int keys;

    private KeyedPoolUnderTest underTest;

    /**
     * Builds the pool and warms every key so that the measured loop only reuses.
     *
     * @param params gives the thread count of the method being run
     * @throws Exception if the pool fails to hand out connections while warming
     */
    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) throws Exception {
        underTest = KeyedPoolUnderTest.create(pool, keys, MAX_THREADS);
        int warm = KeyPlan.warmPerKey(keys, params.getThreads());
        for (int key = 0; key < keys; key++) {
            underTest.warm(key, warm);
        }
    }

    /** Closes the pool. */
    @TearDown(Level.Trial)
    public void tearDown() {
        underTest.close();
    }

    /** One thread's walk over its keys. */
    @State(Scope.Thread)
    public static class Walker {

        KeyPlan.Walk walk;

        /**
         * Gives this thread its share of the keys.
         *
         * @param benchmark the benchmark state, for the key count
         * @param thread this thread's index and the thread count
         */
        @Setup(Level.Trial)
        public void setUp(ComparisonPoolsBenchmark benchmark, ThreadParams thread) {
            walk = new KeyPlan.Walk(KeyPlan.keysFor(benchmark.keys, thread.getThreadIndex(), thread.getThreadCount()));
        }
    }

    /**
     * Borrow and return with one thread.
     *
     * @param walker this thread's key walk
     * @return the borrowed connection (consumed by JMH)
     * @throws Exception if the pool fails
     */
    @Benchmark
    @Threads(1)
    public Object threads1(Walker walker) throws Exception {
        return underTest.borrowAndRelease(walker.walk.next());
    }

    /**
     * Borrow and return with two threads (as many as this machine has cores).
     *
     * @param walker this thread's key walk
     * @return the borrowed connection (consumed by JMH)
     * @throws Exception if the pool fails
     */
    @Benchmark
    @Threads(2)
    public Object threads2(Walker walker) throws Exception {
        return underTest.borrowAndRelease(walker.walk.next());
    }

    /**
     * Borrow and return with eight threads: oversubscribed on two cores, so it shows how the pool's
     * locking behaves when a lock holder is descheduled.
     *
     * @param walker this thread's key walk
     * @return the borrowed connection (consumed by JMH)
     * @throws Exception if the pool fails
     */
    @Benchmark
    @Threads(MAX_THREADS)
    public Object threads8(Walker walker) throws Exception {
        return underTest.borrowAndRelease(walker.walk.next());
    }
}
