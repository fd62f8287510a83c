package io.guardian.pool.internal.pool;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The pool's cumulative counters, for {@link io.guardian.pool.PoolStats} and for the cost-aware
 * reclaim (the measured dial). Not API. Striped adders: many threads count, a scrape sums. Reuses
 * are counted per peer under its lock ({@link PeerSlot#reuses}); this keeps only those of peers
 * retired since, so a reuse costs no shared write.
 */
final class Counters {

    private final LongAdder created = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder connectNanos = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder leaks = new LongAdder();
    private final LongAdder closedByRemote = new LongAdder();
    private final LongAdder latencySumNanos = new LongAdder();
    private final LongAdder latencySamples = new LongAdder();
    private final AtomicLong retiredReuses = new AtomicLong();

    /** A dial completed its handshake after {@code nanos}. */
    void dialed(long nanos) {
        created.increment();
        connectNanos.add(nanos);
    }

    /** A dial failed: a timeout, or any other failure. */
    void dialFailed(boolean timeout) {
        if (timeout) {
            timeouts.increment();
        } else {
            failed.increment();
        }
    }

    /** How a connection ended. */
    void closed(CloseKind kind) {
        switch (kind) {
            case EVICTED:
                evictions.increment();
                break;
            case DEAD:
                evictions.increment();
                failed.increment();
                break;
            case FAILED:
                failed.increment();
                break;
            case CHURN:
                // Gone from the pool like any eviction, but not a failure of the peer.
                evictions.increment();
                closedByRemote.increment();
                break;
            default:
                break;
        }
    }

    private final LongAdder adopted = new LongAdder();
    private final LongAdder trimmed = new LongAdder();

    /** The connection manager closed a connection above its high watermark. */
    void trimmed() {
        trimmed.increment();
    }

    /** @return connections the connection manager closed */
    long trimmedCount() {
        return trimmed.sum();
    }

    /** A connection the peer dialed to our listener joined the pool. */
    void adopted() {
        adopted.increment();
    }

    /** @return connections adopted from an attached listener */
    long adoptedCount() {
        return adopted.sum();
    }

    /** @return connections the remote closed in order (churn) */
    long closedByRemote() {
        return closedByRemote.sum();
    }

    void rejectedByBreaker() {
        rejected.increment();
    }

    void leakSuspected() {
        leaks.increment();
    }

    void latency(long rttNanos) {
        latencySumNanos.add(rttNanos);
        latencySamples.increment();
    }

    /** A peer is being retired: keep its reuses (before the slot leaves the map; see PoolViews). */
    void retire(long reuses) {
        retiredReuses.addAndGet(reuses);
    }

    long created() {
        return created.sum();
    }

    long failed() {
        return failed.sum();
    }

    long timeouts() {
        return timeouts.sum();
    }

    long rejected() {
        return rejected.sum();
    }

    long evictions() {
        return evictions.sum();
    }

    long leaks() {
        return leaks.sum();
    }

    long retiredReuses() {
        return retiredReuses.get();
    }

    /** @return the mean dial (connect plus handshake) so far in nanoseconds, 0 before any */
    long avgDialNanos() {
        long n = created.sum();
        return n == 0 ? 0L : connectNanos.sum() / n;
    }

    /** @return the mean dial in milliseconds, 0 before any */
    double avgDialMillis() {
        long n = created.sum();
        return n == 0 ? 0.0 : connectNanos.sum() / (double) n / 1_000_000.0;
    }

    /** @return the mean of every round trip measured, in milliseconds, 0 before any */
    double avgLatencyMillis() {
        long n = latencySamples.sum();
        return n == 0 ? 0.0 : latencySumNanos.sum() / (double) n / 1_000_000.0;
    }
}
