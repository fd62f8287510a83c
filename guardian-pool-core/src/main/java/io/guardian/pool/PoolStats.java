package io.guardian.pool;

/**
 * Counters and gauges of a pool at one moment: the original's fields with their formulas, plus
 * what the original could not see. Counters count since the pool was created.
 *
 * @param activeConnections connections carrying at least one lease right now
 * @param pooledConnections idle connections ready for reuse right now
 * @param connectionsCreated dials that completed their handshake
 * @param connectionsReused leases served by an existing connection instead of a dial
 * @param connectionsFailed dial attempts that failed other than by timing out, plus established
 *     connections that failed (socket or protocol error, lost PONGs, {@code markFailed})
 * @param connectionsTimeout dial attempts that exceeded {@code connection-timeout}
 * @param avgConnectionTimeMs mean time of successful dials, connect plus handshake; 0 before any
 * @param reuseRate {@code connectionsReused / (connectionsCreated + connectionsReused)}, the
 *     original's formula; 0 before any lease
 * @param totalBandwidthBps sum over open connections of the bytes each moved while leased per
 *     second leased
 * @param globalAvgLatencyMs mean of every round trip measured (handshakes, PINGs, requests);
 *     0 before any
 * @param waitingAcquires callers waiting at a limit right now
 * @param pendingConnections dials in progress (including retries waiting out their backoff)
 * @param rejectedByCircuitBreaker acquires refused at once because the peer's breaker was open
 * @param evictions connections the pool closed on its own: idle, expired, dead, or reclaimed for
 *     another peer at the global limit
 * @param leaksSuspected leases reported as held longer than {@code leak-detection-threshold}
 * @param peers peers the pool tracks (with connections, waiters or breaker state)
 * @param openCircuits peers whose breaker is open or half-open
 * @param eventsDropped events not delivered because listeners fell behind the buffer
 * @param maxTotalConnections the configured global limit, to relate the gauges to
 * @param activeStreams leases out right now: on libp2p each is a stream, several per connection
 *     (streams kept idle between leases for {@code reusable-stream-protocols} are not counted);
 *     on guardian-db equal to {@code activeConnections}
 * @param closedByPeer connections the peer closed in order (CLOSE, GoAway, FIN): churn, counted
 *     in {@code evictions} too but never as a failure
 * @param trimmed idle connections the connection manager closed above its high watermark
 * @param adoptedInbound connections peers dialed to an attached listener that joined the pool
 */
public record PoolStats(
        int activeConnections,
        int pooledConnections,
        long connectionsCreated,
        long connectionsReused,
        long connectionsFailed,
        long connectionsTimeout,
        double avgConnectionTimeMs,
        double reuseRate,
        long totalBandwidthBps,
        double globalAvgLatencyMs,
        int waitingAcquires,
        int pendingConnections,
        long rejectedByCircuitBreaker,
        long evictions,
        long leaksSuspected,
        int peers,
        int openCircuits,
        long eventsDropped,
        int maxTotalConnections,
        int activeStreams,
        long closedByPeer,
        long trimmed,
        long adoptedInbound) {

    /**
     * Statistics without the stream and connection-manager figures, as before libp2p leases
     * (those are then zero).
     *
     * @param activeConnections see the record
     * @param pooledConnections see the record
     * @param connectionsCreated see the record
     * @param connectionsReused see the record
     * @param connectionsFailed see the record
     * @param connectionsTimeout see the record
     * @param avgConnectionTimeMs see the record
     * @param reuseRate see the record
     * @param totalBandwidthBps see the record
     * @param globalAvgLatencyMs see the record
     * @param waitingAcquires see the record
     * @param pendingConnections see the record
     * @param rejectedByCircuitBreaker see the record
     * @param evictions see the record
     * @param leaksSuspected see the record
     * @param peers see the record
     * @param openCircuits see the record
     * @param eventsDropped see the record
     * @param maxTotalConnections see the record
     */
    public PoolStats(int activeConnections, int pooledConnections, long connectionsCreated, long connectionsReused,
            long connectionsFailed, long connectionsTimeout, double avgConnectionTimeMs, double reuseRate,
            long totalBandwidthBps, double globalAvgLatencyMs, int waitingAcquires, int pendingConnections,
            long rejectedByCircuitBreaker, long evictions, long leaksSuspected, int peers, int openCircuits,
            long eventsDropped, int maxTotalConnections) {
        this(activeConnections, pooledConnections, connectionsCreated, connectionsReused, connectionsFailed,
                connectionsTimeout, avgConnectionTimeMs, reuseRate, totalBandwidthBps, globalAvgLatencyMs,
                waitingAcquires, pendingConnections, rejectedByCircuitBreaker, evictions, leaksSuspected, peers,
                openCircuits, eventsDropped, maxTotalConnections, activeConnections, 0L, 0L, 0L);
    }

    /**
     * Connections counted against {@code max-total-connections}: leased, idle and being dialed.
     *
     * @return {@code activeConnections + pooledConnections + pendingConnections}
     */
    public int openConnections() {
        return activeConnections + pooledConnections + pendingConnections;
    }
}
