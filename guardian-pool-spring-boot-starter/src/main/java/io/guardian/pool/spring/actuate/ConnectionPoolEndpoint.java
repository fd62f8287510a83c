package io.guardian.pool.spring.actuate;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerSnapshot;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.spring.actuate.PoolDescriptors.PeerActionResult;
import io.guardian.pool.spring.actuate.PoolDescriptors.PeerDescriptor;
import io.guardian.pool.spring.actuate.PoolDescriptors.PoolDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code connectionpool} Actuator endpoint: a pool's statistics, its effective
 * configuration and its peers, and two operations on one peer. It covers every pool bean of the
 * application; on reads the query parameter {@code pool} names one by its bean name.
 *
 * <ul>
 *   <li>{@code GET /actuator/connectionpool[?pool=name]}: stats, config, the most active peers
 *       (capped by {@code guardian.pool.endpoint.max-peers}) of the named pool, by default the
 *       first one (the starter's {@code guardianPool}); {@code pools} lists every pool's name;
 *   <li>{@code GET /actuator/connectionpool/{peerId}[?pool=name]}: one peer with its
 *       connections, from the named pool or else the first pool that tracks it; 404 if none does;
 *   <li>{@code POST /actuator/connectionpool/{peerId}/evict}: close its idle connections and
 *       retire its leased ones when they come back, in every pool that tracks it;
 *   <li>{@code POST /actuator/connectionpool/{peerId}/reset-breaker}: close its breaker, likewise.
 * </ul>
 *
 * Write operations never create a peer: an unknown one is a 404 over HTTP (see
 * {@link ConnectionPoolEndpointWebExtension}); a malformed PeerId or an unknown pool name is a
 * 400.
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

    /** The pools by name, in the order given; the first answers when no pool is named. */
    private final Map<String, OptimizedConnectionPool> pools;
    private final int maxPeers;

    /**
     * @param pool the pool to show, named {@code guardianPool}
     * @param maxPeers most peers in the listing, at least 0
     */
    public ConnectionPoolEndpoint(OptimizedConnectionPool pool, int maxPeers) {
        this(Map.of("guardianPool", Objects.requireNonNull(pool, "pool")), maxPeers);
    }

    /**
     * @param pools the pools to show by name (their bean names), at least one; the first is shown
     *     when a request names none
     * @param maxPeers most peers in the listing, at least 0
     */
    public ConnectionPoolEndpoint(Map<String, OptimizedConnectionPool> pools, int maxPeers) {
        this.pools = new LinkedHashMap<>(Objects.requireNonNull(pools, "pools"));
        if (this.pools.isEmpty()) {
            throw new IllegalArgumentException("pools must not be empty");
        }
        if (maxPeers < 0) {
            throw new IllegalArgumentException("maxPeers must be >= 0, was " + maxPeers);
        }
        this.maxPeers = maxPeers;
    }

    /**
     * The first pool (the only one, or the starter's {@code guardianPool}).
     *
     * @return its stats, effective configuration and most active peers
     */
    public PoolDescriptor pool() {
        return pool(null);
    }

    /**
     * One whole pool.
     *
     * @param pool the pool's name, or {@code null} for the first
     * @return its stats, effective configuration and most active peers, and every pool's name
     */
    @ReadOperation
    public PoolDescriptor pool(@Nullable String pool) {
        String name = pool == null ? pools.keySet().iterator().next() : pool;
        OptimizedConnectionPool p = named(name);
        List<PeerSnapshot> peers = p.peers();
        List<PeerDescriptor> shown = peers.stream().sorted(BY_ACTIVITY).limit(maxPeers)
                .map(s -> PeerDescriptor.of(s, false)).toList();
        return new PoolDescriptor(name, List.copyOf(pools.keySet()), p.isClosed(), p.localPeerId().toBase58(),
                p.getStats(), PoolDescriptors.config(p.config()), peers.size(), shown);
    }

    /**
     * One peer of the first pool that tracks it, with its connections.
     *
     * @param peerId the PeerId, base58 or CID text
     * @return the peer, or {@code null} (a 404) if no pool tracks it
     */
    public PeerDescriptor peer(String peerId) {
        return peer(peerId, null);
    }

    /**
     * One peer, with its connections.
     *
     * @param peerId the PeerId, base58 or CID text
     * @param pool the pool's name, or {@code null} for the first pool that tracks the peer
     * @return the peer, or {@code null} (a 404) if the pool (or no pool) tracks it
     */
    @ReadOperation
    public PeerDescriptor peer(@Selector String peerId, @Nullable String pool) {
        PeerId id = parse(peerId);
        for (OptimizedConnectionPool p : targets(pool)) {
            Optional<PeerSnapshot> found = p.peer(id);
            if (found.isPresent()) {
                return PeerDescriptor.of(found.get(), true);
            }
        }
        return null;
    }

    /**
     * Acts on one peer, in every pool that tracks it: {@value #EVICT} or {@value #RESET_BREAKER}.
     * No pool parameter here: a write operation with a body parameter would make clients that
     * post without a JSON body get a 415, and a peer misbehaving for one pool is the same peer
     * for the others.
     *
     * @param peerId the PeerId, base58 or CID text
     * @param action {@value #EVICT} or {@value #RESET_BREAKER}
     * @return the peer after the action and the pools acted on, or {@code null} if no pool
     *     tracks it
     */
    @WriteOperation
    public PeerActionResult peerAction(@Selector String peerId, @Selector String action) {
        return peerAction(peerId, action, null);
    }

    /**
     * Acts on one peer: {@value #EVICT} or {@value #RESET_BREAKER}.
     *
     * @param peerId the PeerId, base58 or CID text
     * @param action {@value #EVICT} or {@value #RESET_BREAKER}
     * @param pool the pool's name, or {@code null} for every pool that tracks the peer
     * @return the peer after the action (as the first pool acted on sees it) and the pools acted
     *     on, or {@code null} if the pool (or no pool) tracks it
     * @throws InvalidEndpointRequestException if no pool has that name
     */
    public PeerActionResult peerAction(String peerId, String action, String pool) {
        PeerId id = parse(peerId);
        if (!EVICT.equals(action) && !RESET_BREAKER.equals(action)) {
            throw new InvalidEndpointRequestException("Unknown action '" + action + "'; use " + EVICT + " or "
                    + RESET_BREAKER, "unknown action");
        }
        List<String> actedOn = new ArrayList<>();
        PeerDescriptor after = null;
        for (Map.Entry<String, OptimizedConnectionPool> e : pools.entrySet()) {
            if (pool != null && !pool.equals(e.getKey())) {
                continue;
            }
            OptimizedConnectionPool p = e.getValue();
            boolean known = EVICT.equals(action) ? p.evict(id) : p.resetCircuitBreaker(id);
            if (known) {
                actedOn.add(e.getKey());
                if (after == null) {
                    after = p.peer(id).map(s -> PeerDescriptor.of(s, true)).orElse(null);
                }
            }
        }
        if (pool != null) {
            named(pool); // an unknown name is a 400, not a 404
        }
        return actedOn.isEmpty() ? null : new PeerActionResult(id.toBase58(), action, after, actedOn);
    }

    /** The named pool, or the 400 of an unknown name. */
    private OptimizedConnectionPool named(String name) {
        OptimizedConnectionPool p = pools.get(name);
        if (p == null) {
            throw new InvalidEndpointRequestException("No pool named '" + name + "'; the pools are " + pools.keySet(),
                    "unknown pool");
        }
        return p;
    }

    /** The named pool, or every pool in order. */
    private Collection<OptimizedConnectionPool> targets(String name) {
        return name == null ? pools.values() : List.of(named(name));
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
