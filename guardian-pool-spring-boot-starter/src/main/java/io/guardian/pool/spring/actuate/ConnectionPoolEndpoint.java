package io.guardian.pool.spring.actuate;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerSnapshot;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.spring.actuate.PoolDescriptors.PeerActionResult;
import io.guardian.pool.spring.actuate.PoolDescriptors.PeerDescriptor;
import io.guardian.pool.spring.actuate.PoolDescriptors.PoolDescriptor;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code connectionpool} Actuator endpoint: the pool's statistics, its effective
 * configuration and its peers, and two operations on one peer.
 *
 * <ul>
 *   <li>{@code GET /actuator/connectionpool}: stats, config, the most active peers (capped by
 *       {@code guardian.pool.endpoint.max-peers});
 *   <li>{@code GET /actuator/connectionpool/{peerId}}: one peer with its connections, 404 if the
 *       pool does not track it;
 *   <li>{@code POST /actuator/connectionpool/{peerId}/evict}: close its idle connections and
 *       retire its leased ones when they come back;
 *   <li>{@code POST /actuator/connectionpool/{peerId}/reset-breaker}: close its breaker.
 * </ul>
 *
 * Write operations never create a peer: an unknown one is a 404 over HTTP (see
 * {@link ConnectionPoolEndpointWebExtension}); a malformed PeerId is a 400.
 */
@Endpoint(id = "connectionpool")
public class ConnectionPoolEndpoint {

    /** The write action that evicts a peer's connections. */
    public static final String EVICT = "evict";
    /** The write action that resets a peer's circuit breaker. */
    public static final String RESET_BREAKER = "reset-breaker";

    /** Most active first: callers holding or wanting connections, then idle ones, then by id. */
    private static final Comparator<PeerSnapshot> BY_ACTIVITY = Comparator
            .comparingInt((PeerSnapshot p) -> p.leased() + p.pending() + p.waiting()).reversed()
            .thenComparing(Comparator.comparingInt(PeerSnapshot::idle).reversed())
            .thenComparing(p -> p.peerId().toBase58());

    private final OptimizedConnectionPool pool;
    private final int maxPeers;

    /**
     * @param pool the pool to show
     * @param maxPeers most peers in the listing, at least 0
     */
    public ConnectionPoolEndpoint(OptimizedConnectionPool pool, int maxPeers) {
        this.pool = Objects.requireNonNull(pool, "pool");
        if (maxPeers < 0) {
            throw new IllegalArgumentException("maxPeers must be >= 0, was " + maxPeers);
        }
        this.maxPeers = maxPeers;
    }

    /**
     * The whole pool.
     *
     * @return stats, effective configuration and the most active peers
     */
    @ReadOperation
    public PoolDescriptor pool() {
        List<PeerSnapshot> peers = pool.peers();
        List<PeerDescriptor> shown = peers.stream().sorted(BY_ACTIVITY).limit(maxPeers)
                .map(p -> PeerDescriptor.of(p, false)).toList();
        return new PoolDescriptor(pool.isClosed(), pool.localPeerId().toBase58(), pool.getStats(),
                PoolDescriptors.config(pool.config()), peers.size(), shown);
    }

    /**
     * One peer, with its connections.
     *
     * @param peerId the PeerId, base58 or CID text
     * @return the peer, or {@code null} (a 404) if the pool does not track it
     */
    @ReadOperation
    public PeerDescriptor peer(@Selector String peerId) {
        return pool.peer(parse(peerId)).map(p -> PeerDescriptor.of(p, true)).orElse(null);
    }

    /**
     * Acts on one peer: {@value #EVICT} or {@value #RESET_BREAKER}.
     *
     * @param peerId the PeerId, base58 or CID text
     * @param action {@value #EVICT} or {@value #RESET_BREAKER}
     * @return the peer after the action, or {@code null} if the pool does not track it
     */
    @WriteOperation
    public PeerActionResult peerAction(@Selector String peerId, @Selector String action) {
        PeerId id = parse(peerId);
        boolean known = switch (action) {
            case EVICT -> pool.evict(id);
            case RESET_BREAKER -> pool.resetCircuitBreaker(id);
            default -> throw new InvalidEndpointRequestException("Unknown action '" + action + "'; use " + EVICT
                    + " or " + RESET_BREAKER, "unknown action");
        };
        if (!known) {
            return null;
        }
        Optional<PeerSnapshot> after = pool.peer(id);
        return new PeerActionResult(id.toBase58(), action, after.map(p -> PeerDescriptor.of(p, true)).orElse(null));
    }

    private static PeerId parse(String text) {
        try {
            return PeerId.parse(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidEndpointRequestException("'" + text + "' is not a PeerId: " + e.getMessage(),
                    "malformed PeerId", e);
        }
    }
}
