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
 * @param leased connections carrying at least one lease (on guardian-db a lease is the whole
 *     connection; on libp2p several streams may share one)
 * @param idle idle connections ready for reuse
 * @param pending dials in progress
 * @param waiting callers waiting for a connection to this peer
 * @param connections every open connection, leased or idle
 * @param streams leases out now: on libp2p the leased streams across its connections (streams
 *     kept idle between leases for {@code reusable-stream-protocols} are not counted), on
 *     guardian-db equal to {@code leased}
 * @param info its latest identify answer (libp2p), {@code null} for guardian-db peers or before one
 *     arrived
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
        List<PooledConnection> connections,
        int streams,
        PeerInfo info) {

    /** Requires the peer and the breaker, and copies the connection list. */
    public PeerSnapshot {
        Objects.requireNonNull(peerId, "peerId");
        Objects.requireNonNull(circuitBreaker, "circuitBreaker");
        connections = List.copyOf(connections);
    }

    /**
     * A snapshot without stream counts or identify answer (guardian-db peers).
     *
     * @param peerId the peer
     * @param address the address last used to reach it
     * @param circuitBreaker its breaker
     * @param health its health metrics, or {@code null} before the first health pass
     * @param degraded whether its score is below 0.5
     * @param leased connections carrying a lease
     * @param idle idle connections
     * @param pending dials under way
     * @param waiting callers waiting
     * @param connections its connections
     */
    public PeerSnapshot(PeerId peerId, Multiaddr address, CircuitBreakerView circuitBreaker, PeerHealthMetrics health,
            boolean degraded, int leased, int idle, int pending, int waiting, List<PooledConnection> connections) {
        this(peerId, address, circuitBreaker, health, degraded, leased, idle, pending, waiting, connections, leased,
                null);
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
