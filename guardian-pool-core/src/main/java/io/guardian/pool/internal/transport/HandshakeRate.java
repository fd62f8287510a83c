package io.guardian.pool.internal.transport;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * How many new connections each remote address (IPv4 address, IPv6 /64) may open: a token bucket
 * per address, {@code burst} tokens at most, refilled at {@code perSecond}; every accepted socket
 * takes one before any handshake work is done for it (go-libp2p's connection rate limiter,
 * {@code x/rate}, does the same with {@code RPS} and {@code Burst}). Not API.
 *
 * <p>The table is bounded: a bucket that has refilled completely carries no information and is
 * dropped when the table is swept (at most once a second, and only when it is over
 * {@code maxTracked}); an address that arrives while the table is still full of active addresses
 * is let through untracked (the other inbound caps still hold it). Thread-safe.
 */
final class HandshakeRate {

    private static final long SWEEP_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final double perNano;
    private final double burst;
    private final int maxTracked;
    private final LongSupplier nanoTime;
    private final Map<Object, Bucket> buckets = new ConcurrentHashMap<>();
    private final AtomicLong nextSweep;

    /** Tokens left at the time of the last take; guarded by the map's compute on its key. */
    private static final class Bucket {
        double tokens;
        long at;

        Bucket(double tokens, long at) {
            this.tokens = tokens;
            this.at = at;
        }
    }

    HandshakeRate(double perSecond, int burst, int maxTracked, LongSupplier nanoTime) {
        this.perNano = perSecond / TimeUnit.SECONDS.toNanos(1);
        this.burst = burst;
        this.maxTracked = maxTracked;
        this.nanoTime = nanoTime;
        this.nextSweep = new AtomicLong(nanoTime.getAsLong());
    }

    /**
     * Takes a token for a new connection from {@code key}'s address.
     *
     * @param key the address's limit key ({@link AddressBlock#limitKey})
     * @return {@code false} when the address is over its rate: the connection is to be refused
     */
    boolean tryAcquire(Object key) {
        long now = nanoTime.getAsLong();
        if (buckets.size() >= maxTracked && !buckets.containsKey(key)) {
            sweep(now);
            if (buckets.size() >= maxTracked) {
                return true;
            }
        }
        boolean[] allowed = new boolean[1];
        buckets.compute(key, (k, bucket) -> {
            Bucket b = bucket == null ? new Bucket(burst, now) : bucket;
            b.tokens = refilled(b, now);
            b.at = now;
            if (b.tokens >= 1) {
                b.tokens -= 1;
                allowed[0] = true;
            }
            return b;
        });
        return allowed[0];
    }

    /** @return addresses tracked now */
    int tracked() {
        return buckets.size();
    }

    private double refilled(Bucket b, long now) {
        return Math.min(burst, b.tokens + (now - b.at) * perNano);
    }

    /** Drops buckets that are full again; at most once a second so a flood of new addresses costs O(1) each. */
    private void sweep(long now) {
        long due = nextSweep.get();
        if (now - due < 0 || !nextSweep.compareAndSet(due, now + SWEEP_INTERVAL_NANOS)) {
            return;
        }
        for (Object key : buckets.keySet()) {
            buckets.computeIfPresent(key, (k, b) -> refilled(b, now) >= burst ? null : b);
        }
    }
}
