package io.guardian.pool.benchmarks.support;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.Transport;
import io.guardian.pool.PoolStats;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;

/**
 * The pool configuration every benchmark uses: the defaults a user gets, except limits sized to
 * the benchmark and timeouts long enough that nothing expires while JMH measures. Not API.
 */
public final class BenchPools {

    /** Longer than any benchmark run, so no idle connection is evicted mid-measurement. */
    static final Duration NEVER_DURING_A_RUN = Duration.ofHours(2);

    /** Bound on a request or a warm-up dial; far above any loopback round trip. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private BenchPools() {
    }

    /**
     * A guardian-db pool (transport {@code GUARDIAN}: these suites measure the pool around whole
     * connections, as in the runs of record) with the given limits and otherwise default settings
     * (1.1 handshake, intelligent load balancing on, as the defaults say).
     *
     * @param maxPerPeer {@code max-connections-per-peer}
     * @param maxTotal {@code max-total-connections}; the pool enforces it on every acquire
     * @return a new pool with a fresh identity
     */
    public static OptimizedConnectionPool create(int maxPerPeer, int maxTotal) {
        return create(maxPerPeer, maxTotal, Transport.GUARDIAN);
    }

    /**
     * As {@link #create(int, int)} on the given transport: suite 4's scale run holds the same
     * idle peers over {@link Transport#LIBP2P} (a Noise + yamux connection each; an acquire is a
     * stream of {@code default-protocol} on it).
     *
     * @param maxPerPeer {@code max-connections-per-peer}
     * @param maxTotal {@code max-total-connections}
     * @param transport the pool's transport
     * @return a new pool with a fresh identity
     */
    public static OptimizedConnectionPool create(int maxPerPeer, int maxTotal, Transport transport) {
        PoolConfig config = PoolConfig.builder()
                .transport(transport)
                .maxConnectionsPerPeer(maxPerPeer)
                .maxTotalConnections(maxTotal)
                .idleTimeout(NEVER_DURING_A_RUN)
                .healthCheckInterval(NEVER_DURING_A_RUN)
                .build();
        return new OptimizedConnectionPool(config, PeerIdentity.generate());
    }

    /**
     * Fails when the pool dialed during measurement: then the benchmark measured dials, not the
     * reuse path it claims to, and its score must not be reported.
     *
     * @param pool the pool after the run
     * @param warmed connections created while warming
     */
    public static void requireNoDialsSince(OptimizedConnectionPool pool, long warmed) {
        PoolStats stats = pool.getStats();
        if (stats.connectionsCreated() != warmed) {
            throw new IllegalStateException("the pool dialed during measurement (" + stats.connectionsCreated()
                    + " connections created, " + warmed + " warmed): the score measures dials, not reuse; stats: "
                    + stats);
        }
    }
}
