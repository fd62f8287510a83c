package io.guardian.pool;

import io.guardian.pool.breaker.CircuitBreakerView;
import io.guardian.pool.health.PeerHealthMetrics;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.util.List;
import java.util.Objects;

/**
 * Everything the pool knows about one peer at one moment: its connections, its breaker and its
 * health. The Actuator endpoint and dashboards read this.
 *
 * @param peerId the peer
 * @param address the address last dialed for it, {@code null} if it was never dialed (a peer
 *     known only from {@code recordFailure})
 * @param circuitBreaker its breaker
 * @param health what the last health pass measured, {@code null} before the first pass that saw
 *     a connection of this peer
 * @param degraded whether its last score was below 0.5, or it was unreachable at the last health
 *     pass (no connection open and its dials failing)
 * @param leased connections leased to callers
 * @param idle idle connections ready for reuse
 * @param pending dials in progress
 * @param waiting callers waiting for a connection to this peer
 * @param connections every open connection, leased or idle
 */
public record PeerSnapshot(
        PeerId peerId,
        Multiaddr address,
        CircuitBreakerView circuitBreaker,
        PeerHealthMetrics health,
        boolean degraded,
        int leased,
        int idle,
        int pending,
        int waiting,
        List<PooledConnection> connections) {

    /** Requires the peer and the breaker, and copies the connection list. */
    public PeerSnapshot {
        Objects.requireNonNull(peerId, "peerId");
        Objects.requireNonNull(circuitBreaker, "circuitBreaker");
        connections = List.copyOf(connections);
    }

    /**
     * Connections counted against the peer's limit.
     *
     * @return {@code leased + idle + pending}
     */
    public int open() {
        return leased + idle + pending;
    }
}
