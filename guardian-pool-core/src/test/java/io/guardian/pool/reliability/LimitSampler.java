package io.guardian.pool.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerSnapshot;
import io.guardian.pool.PoolStats;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads {@link OptimizedConnectionPool#getStats()} and {@link OptimizedConnectionPool#peers()} every
 * 5 ms and checks the limits in each sample: each peer's open connections (leased, idle, dialing;
 * read under that peer's lock, so exact) at most max-connections-per-peer, no gauge negative, and
 * the pool's open connections at most max-total-connections. The pool-wide figure is a sum over
 * peers read one after another, so a sample over the limit is read again at once and counts as a
 * violation only if the second reading agrees; unconfirmed ones are kept apart as over-counts of
 * the statistics. Also samples the process's threads and descriptors every 250 ms.
 */
final class LimitSampler {

    private final OptimizedConnectionPool pool;
    private final int maxTotal;
    private final int perPeer;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "soak-sampler");
        t.setDaemon(true);
        return t;
    });
    final AtomicLong samples = new AtomicLong();
    final AtomicInteger maxOpen = new AtomicInteger();
    final AtomicInteger maxOpenPerPeer = new AtomicInteger();
    final AtomicInteger maxActive = new AtomicInteger();
    final AtomicInteger maxWaiting = new AtomicInteger();
    final AtomicInteger peakThreads = new AtomicInteger();
    final AtomicInteger peakFds = new AtomicInteger();
    final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    /** Samples over the global limit that a second reading right after did not confirm. */
    final AtomicLong overCountSamples = new AtomicLong();
    final List<String> overCounts = Collections.synchronizedList(new ArrayList<>());

    LimitSampler(OptimizedConnectionPool pool, int maxTotal, int perPeer) {
        this.pool = pool;
        this.maxTotal = maxTotal;
        this.perPeer = perPeer;
        scheduler.scheduleAtFixedRate(this::sample, 0, 5, TimeUnit.MILLISECONDS);
        scheduler.scheduleAtFixedRate(this::sampleProcess, 0, 250, TimeUnit.MILLISECONDS);
    }

    private void sample() {
        try {
            check();
        } catch (RuntimeException | Error e) {
            // A throwing periodic task would be silently descheduled: record it instead.
            violations.add("sampler failed: " + e);
        }
    }

    private void check() {
        PoolStats s = pool.getStats();
        samples.incrementAndGet();
        maxOpen.accumulateAndGet(s.openConnections(), Math::max);
        maxActive.accumulateAndGet(s.activeConnections(), Math::max);
        maxWaiting.accumulateAndGet(s.waitingAcquires(), Math::max);
        if (s.activeConnections() < 0 || s.pooledConnections() < 0 || s.pendingConnections() < 0) {
            violations.add("negative gauge: " + s);
        }
        if (s.openConnections() > maxTotal) {
            // getStats() sums the peers' gauges under each peer's lock in turn, so a permit moving
            // from one peer to another during the sweep can be counted twice. Read again at once:
            // an over-limit state that is real outlasts a second sweep; a double count does not.
            PoolStats again = pool.getStats();
            if (again.openConnections() > maxTotal) {
                violations.add("global, read twice: " + s + " then " + again);
            } else if (overCounts.size() < 10) {
                overCounts.add(s.toString());
            }
            overCountSamples.incrementAndGet();
        }
        for (PeerSnapshot p : pool.peers()) {
            maxOpenPerPeer.accumulateAndGet(p.open(), Math::max);
            if (p.open() > perPeer || p.leased() < 0 || p.idle() < 0 || p.pending() < 0) {
                violations.add("peer " + p.peerId() + ": leased " + p.leased() + ", idle " + p.idle()
                        + ", pending " + p.pending());
            }
        }
    }

    private void sampleProcess() {
        peakThreads.accumulateAndGet(ProcessProbe.threadCount(), Math::max);
        peakFds.accumulateAndGet(ProcessProbe.fileDescriptors(), Math::max);
    }

    void stop() throws InterruptedException {
        scheduler.shutdownNow();
        assertThat(scheduler.awaitTermination(10, TimeUnit.SECONDS)).as("sampler stopped").isTrue();
    }
}
