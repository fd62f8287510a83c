package io.guardian.pool.benchmarks.scale;

import io.guardian.pool.benchmarks.acquire.ComparisonPoolsBenchmark;
import io.guardian.pool.benchmarks.acquire.KeyedPoolUnderTest;
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

/**
 * Suite 3's yardsticks for {@link ScaleBenchmark#acquireRelease}: the same one-thread shuffled
 * walk ({@link KeyPlan}, same seed, so the same order of key indices) over 1 key and over N keys,
 * without sockets, so that the slowdown from 1 to N a pool cannot avoid is measured in the same
 * run as Guardian Pool's.
 *
 * <p>Subjects ({@code subject} parameter):
 * <ul>
 *   <li>{@value #FLOOR}: {@link PeerKeyedFloor}, a {@code ConcurrentHashMap<PeerId, ·>.get} over
 *       the PeerIds of N distinct Ed25519 identities and one read and one write of a field of the
 *       per-peer object: the memory floor of any keyed pool.
 *   <li>{@value #FLOOR_CAS}: the same with a compare-and-set instead of the write, as any pool
 *       that threads share must claim a connection atomically. An atomic instruction keeps the
 *       processor from overlapping one step's cache misses with the next step's, which the plain
 *       floor allows (see {@link PeerKeyedFloor}).
 *   <li>{@value #CHAIN}: {@link PeerChainFloor#compact}, the map lookup followed by the chain of
 *       dependent loads of Guardian Pool's reuse path (value, idle array, connection, transport,
 *       mailbox, with a compare-and-set claim), its objects back to back: the chain's length.
 *   <li>{@value #SPREAD}: {@link PeerChainFloor#spread}, the same chain with each peer's objects
 *       among ballast of a pooled connection's heap footprint, in the order found in the pool's
 *       heap: the chain's length and where it sits in memory, still without a pool.
 *   <li>{@value #SPREAD_LOCKED}: {@link LockedChainFloor}, that spread chain walked as
 *       the pool's engine walks it: the slot's monitor taken to lease and to return, and a new
 *       lease object per step stored in the (old) connection object, which under G1 costs a
 *       write-barrier slow path per step once the walk covers many peers.
 *   <li>suite 1's comparison pools holding fake connections, built by
 *       {@link KeyedPoolUnderTest#create} exactly as in {@link ComparisonPoolsBenchmark}, one warm
 *       connection per key: httpcore5 {@code LaxConnPool}, {@code RouteSegmentedConnPool},
 *       {@code StrictConnPool}, and commons-pool2 with {@code reuseCapacityOnReturn=false} (its
 *       default setting costs microseconds per return at many keys, which would say nothing about
 *       the memory hierarchy).
 * </ul>
 * The setup ends with a full GC, as the scale suite's setup does while it measures heap, so the
 * objects sit compacted the way a long-running pool's do.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(1)
public class KeyedWalkFloorBenchmark {

    /** The {@code subject} value of the map-lookup floor. */
    public static final String FLOOR = "chm-floor";

    /** The {@code subject} value of the map-lookup floor with a compare-and-set instead of a write. */
    public static final String FLOOR_CAS = "chm-floor-cas";

    /** The {@code subject} value of the map lookup and the pool's chain of loads, objects back to back. */
    public static final String CHAIN = "chm-chain";

    /** The {@code subject} value of the same chain among a pooled connection's worth of ballast. */
    public static final String SPREAD = "chm-spread";

    /** The {@code subject} value of the spread chain under the slot's monitor, with a new lease per step. */
    public static final String SPREAD_LOCKED = "chm-spread-locked";

    /** What walks the keys; see the class comment. */
    @Param({FLOOR, FLOOR_CAS, CHAIN, SPREAD, SPREAD_LOCKED, "httpcore5-lax", "httpcore5-segmented", "httpcore5-strict", "commons-pool2-no-reuse-capacity"})
    public String subject;

    /** How many keys; run.sh passes 1 and the scale suite's peer count. */
    @Param({"1", "10000"})
    public int keys;

    private KeyedPoolUnderTest underTest;

    /**
     * Builds the subject and gives every key its entry (the floor) or one idle fake connection
     * (the pools), so the measured loop only reuses.
     *
     * @throws Exception if a pool fails to hand out a connection while warming
     */
    @Setup(Level.Trial)
    public void setUp() throws Exception {
        underTest = switch (subject) {
            case FLOOR -> PeerKeyedFloor.generate(keys);
            case FLOOR_CAS -> PeerKeyedFloor.generateAtomic(keys);
            case CHAIN -> PeerChainFloor.compact(keys);
            case SPREAD -> PeerChainFloor.spread(keys);
            case SPREAD_LOCKED -> LockedChainFloor.spread(keys);
            default -> KeyedPoolUnderTest.create(subject, keys, ComparisonPoolsBenchmark.MAX_THREADS);
        };
        for (int key = 0; key < keys; key++) {
            underTest.warm(key, 1);
        }
        System.gc();
    }

    /** Closes the pool. */
    @TearDown(Level.Trial)
    public void tearDown() {
        underTest.close();
    }

    /** The single thread's walk over all keys. */
    @State(Scope.Thread)
    public static class Walker {

        KeyPlan.Walk walk;

        /**
         * Gives the thread every key, shuffled as {@link ScaleBenchmark}'s walk is.
         *
         * @param benchmark the benchmark state, for the key count
         */
        @Setup(Level.Trial)
        public void setUp(KeyedWalkFloorBenchmark benchmark) {
            walk = new KeyPlan.Walk(KeyPlan.keysFor(benchmark.keys, 0, 1));
        }
    }

    /**
     * One step of the walk: borrow the next key's connection (or look up its entry) and return it.
     *
     * @param walker the key walk
     * @return what was borrowed (consumed by JMH)
     * @throws Exception if the pool fails
     */
    @Benchmark
    public Object acquireRelease(Walker walker) throws Exception {
        return underTest.borrowAndRelease(walker.walk.next());
    }
}
