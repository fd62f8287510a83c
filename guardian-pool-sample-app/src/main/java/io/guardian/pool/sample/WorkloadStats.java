package io.guardian.pool.sample;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.springframework.stereotype.Component;

/**
 * Counts the demo workload's exchanges as the client sees them: how many succeeded, how long they
 * took end to end (acquire plus request), and which exceptions the failures were. The dashboard
 * turns the cumulative figures into per-interval rates and means by differencing two polls, so
 * nothing here depends on when it is read.
 */
@Component
public class WorkloadStats {

    private final LongAdder succeeded = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder latencyNanos = new LongAdder();
    private final AtomicLong maxLatencyNanos = new AtomicLong();
    private final Map<String, LongAdder> failuresByType = new ConcurrentHashMap<>();

    void recordSuccess(long nanos) {
        succeeded.increment();
        latencyNanos.add(nanos);
        maxLatencyNanos.accumulateAndGet(nanos, Math::max);
    }

    void recordFailure(Exception e) {
        failed.increment();
        failuresByType.computeIfAbsent(e.getClass().getSimpleName(), k -> new LongAdder()).increment();
    }

    /**
     * The counters now.
     *
     * @return a consistent-enough snapshot (each counter is read once)
     */
    public Snapshot snapshot() {
        Map<String, Long> byType = new TreeMap<>();
        failuresByType.forEach((type, count) -> byType.put(type, count.sum()));
        return new Snapshot(succeeded.sum(), failed.sum(), latencyNanos.sum() / 1_000_000.0,
                maxLatencyNanos.get() / 1_000_000.0, byType);
    }

    /**
     * Cumulative workload figures since start-up.
     *
     * @param succeeded exchanges that got their reply
     * @param failed exchanges that failed (breaker open, dial refused, timeout, …)
     * @param totalLatencyMs summed end-to-end time of the successful exchanges; the dashboard
     *     divides its growth by the growth of {@code succeeded}
     * @param maxLatencyMs the slowest successful exchange
     * @param failuresByType failures counted by exception class
     */
    public record Snapshot(long succeeded, long failed, double totalLatencyMs, double maxLatencyMs,
            Map<String, Long> failuresByType) {
    }
}
