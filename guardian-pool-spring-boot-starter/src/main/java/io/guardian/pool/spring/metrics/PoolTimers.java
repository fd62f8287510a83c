package io.guardian.pool.spring.metrics;

import io.guardian.pool.CircuitBreakerOpenException;
import io.guardian.pool.ConnectionFailedException;
import io.guardian.pool.ConnectionTimeoutException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.HandshakeException;
import io.guardian.pool.PoolClosedException;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.PoolExhaustedException;
import io.guardian.pool.PoolInterruptedException;
import io.guardian.pool.PoolObserver;
import io.guardian.pool.peer.PeerId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The meters fed by a {@link PoolObserver} on the pool's own threads: the acquire, connect and
 * lease-usage timers and the acquire failures by reason. Not API.
 *
 * <p>Histogram buckets are service-level boundaries sized to the pool, not Micrometer's default
 * percentile histogram (1 ms to 30 s, 66 buckets per series), which put every warm acquire (tens
 * of nanoseconds to a few microseconds) in its first bucket. Boundaries follow the 1, 2.5, 5 steps
 * per decade of Prometheus's own default buckets, from where the measured thing starts to its
 * configured bound, which is a boundary of its own (a sample above it is in {@code +Inf}):
 * acquire from 1 µs to {@code acquire-deadline}, connect from 100 µs to
 * {@code connection-timeout}, usage from 1 ms (the resolution of the pool's bookkeeping clock)
 * to {@code leak-detection-threshold}, or to 1 minute without one. About 24, 16 and 16 buckets.
 */
final class PoolTimers implements PoolObserver {

    /** Where acquire buckets start: a warm acquire takes tens of ns to a few µs. */
    static final Duration ACQUIRE_FROM = Duration.ofNanos(1_000);
    /** Where connect buckets start: a loopback TCP connect plus handshake takes a few hundred µs. */
    static final Duration CONNECT_FROM = Duration.ofNanos(100_000);
    /** Where usage buckets start: the pool's bookkeeping clock, which times leases, ticks each ms. */
    static final Duration USAGE_FROM = Duration.ofMillis(1);
    /** Where usage buckets end when leak detection is off: a lease held longer is its own problem. */
    static final Duration USAGE_TO = Duration.ofMinutes(1);

    /** The {@code reason} tag of each failure, most specific type first; anything else is "other". */
    private static final Map<Class<? extends GuardianPoolException>, String> REASONS = reasons();
    static final String OTHER = "other";

    private final Timer reused;
    private final Timer created;
    private final Timer failed;
    private final Timer connect;
    private final Timer usage;
    private final Map<String, Counter> failures = new LinkedHashMap<>();
    private final List<Meter> meters = new ArrayList<>();

    PoolTimers(MeterRegistry registry, PoolConfig config, Tags tags) {
        Duration[] acquireBuckets = buckets(ACQUIRE_FROM, config.acquireDeadline());
        reused = meter(acquireTimer("reused", acquireBuckets).tags(tags).register(registry));
        created = meter(acquireTimer("created", acquireBuckets).tags(tags).register(registry));
        failed = meter(acquireTimer("failed", acquireBuckets).tags(tags).register(registry));
        connect = meter(Timer.builder("guardian.pool.connect")
                .description("TCP connect plus handshake of each successful dial attempt")
                .serviceLevelObjectives(buckets(CONNECT_FROM, config.connectionTimeout())).tags(tags)
                .register(registry));
        Duration leak = config.leakDetectionThreshold();
        usage = meter(Timer.builder("guardian.pool.connections.usage")
                .description("How long callers held their leases, from the acquire to the close (about 1 ms resolution)")
                .serviceLevelObjectives(buckets(USAGE_FROM, leak.isZero() ? USAGE_TO : leak)).tags(tags)
                .register(registry));
        List<String> reasons = new ArrayList<>(REASONS.values());
        reasons.add(OTHER);
        for (String reason : reasons) {
            // Registered up front so that every reason has a series at zero: rate() and alerts see them.
            failures.put(reason, meter(Counter.builder("guardian.pool.acquire.failures")
                    .description("Acquires that failed, by reason: circuit_open, exhausted, dial_timeout, handshake,"
                            + " dial_failed, pool_closed, interrupted, other")
                    .tags(tags).tag("reason", reason).register(registry)));
        }
    }

    /** @return every meter this registered, for removal when the pool's meters are closed */
    List<Meter> meters() {
        return meters;
    }

    @Override
    public void acquired(PeerId peer, long waitedNanos, boolean wasReused) {
        (wasReused ? reused : created).record(waitedNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void acquireFailed(PeerId peer, long waitedNanos, GuardianPoolException cause) {
        failed.record(waitedNanos, TimeUnit.NANOSECONDS);
        failures.get(reason(cause)).increment();
    }

    @Override
    public void dialed(PeerId peer, long connectAndHandshakeNanos) {
        connect.record(connectAndHandshakeNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void released(PeerId peer, long heldNanos) {
        usage.record(heldNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * The failure's {@code reason} tag.
     *
     * @param cause what the acquire threw
     * @return a short, fixed reason
     */
    static String reason(GuardianPoolException cause) {
        for (Map.Entry<Class<? extends GuardianPoolException>, String> e : REASONS.entrySet()) {
            if (e.getKey().isInstance(cause)) {
                return e.getValue();
            }
        }
        return OTHER;
    }

    /**
     * Bucket boundaries from {@code from} (a power of ten) in steps of 1, 2.5 and 5 per decade,
     * below {@code to}, then {@code to} itself.
     *
     * @param from the first boundary, a power of ten of nanoseconds
     * @param to the last boundary, the configured bound
     * @return the boundaries, ascending
     */
    static Duration[] buckets(Duration from, Duration to) {
        TreeSet<Long> nanos = new TreeSet<>();
        long limit = to.toNanos();
        for (long decade = from.toNanos(); decade < limit && decade <= Long.MAX_VALUE / 10; decade *= 10) {
            for (long step : new long[] {decade, decade * 5 / 2, decade * 5}) {
                if (step < limit) {
                    nanos.add(step);
                }
            }
        }
        nanos.add(limit);
        return nanos.stream().map(Duration::ofNanos).toArray(Duration[]::new);
    }

    private static Timer.Builder acquireTimer(String outcome, Duration[] buckets) {
        return Timer.builder("guardian.pool.acquire")
                .description("Time from asking the pool for a connection until the lease (or the failure): reused"
                        + " an existing connection, created one by dialing, or failed")
                .tag("outcome", outcome).serviceLevelObjectives(buckets);
    }

    private <M extends Meter> M meter(M meter) {
        meters.add(meter);
        return meter;
    }

    private static Map<Class<? extends GuardianPoolException>, String> reasons() {
        Map<Class<? extends GuardianPoolException>, String> byType = new LinkedHashMap<>();
        byType.put(CircuitBreakerOpenException.class, "circuit_open");
        byType.put(PoolExhaustedException.class, "exhausted");
        byType.put(ConnectionTimeoutException.class, "dial_timeout");
        byType.put(HandshakeException.class, "handshake");
        byType.put(ConnectionFailedException.class, "dial_failed");
        byType.put(PoolClosedException.class, "pool_closed");
        byType.put(PoolInterruptedException.class, "interrupted");
        return byType;
    }
}
