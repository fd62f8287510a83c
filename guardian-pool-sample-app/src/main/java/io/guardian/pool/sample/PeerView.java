package io.guardian.pool.sample;

import io.guardian.pool.PeerSnapshot;
import io.guardian.pool.breaker.CircuitBreakerView;
import io.guardian.pool.health.PeerHealthMetrics;
import java.time.Instant;
import java.util.Optional;

/**
 * One demo peer as {@code GET /api/peers} shows it: the peer's own side (running, port, messages
 * served) next to what the pool knows about it (breaker, health, connections). The pool's fields
 * are {@code null} while the pool does not track the peer: before its first call, or after an
 * idle peer with no recent failure was retired.
 *
 * @param name the demo name, usable in URLs ({@code peer-1})
 * @param peerId the PeerId, base58
 * @param multiaddr where it listens, ending in {@code /p2p/<peerId>}
 * @param running whether its listener is bound
 * @param served messages it answered since start-up
 * @param inboundConnections connections open to it now, as the peer counts them
 * @param tracked whether the pool tracks the peer
 * @param breakerState {@code CLOSED}, {@code OPEN} or {@code HALF_OPEN}
 * @param failureCount consecutive failures the breaker counted
 * @param nextProbeAt when an open breaker lets the next probe through
 * @param healthScore the pool's weighted score, 0 to 1
 * @param latencyMs the pool's round-trip estimate (EWMA)
 * @param packetLossRate lost PINGs over sent, 0 to 1
 * @param degraded whether the score is below 0.5
 * @param leased connections lent out now
 * @param idle connections waiting for reuse
 * @param pending dials under way
 * @param streams leases out to it now (libp2p: streams sharing its connections)
 * @param agent the agent it announced in libp2p identify, e.g. guardian-pool/0.1.0
 */
public record PeerView(
        String name,
        String peerId,
        String multiaddr,
        boolean running,
        long served,
        int inboundConnections,
        boolean tracked,
        String breakerState,
        Integer failureCount,
        Instant nextProbeAt,
        Double healthScore,
        Double latencyMs,
        Double packetLossRate,
        Boolean degraded,
        Integer leased,
        Integer idle,
        Integer pending,
        Integer streams,
        String agent) {

    static PeerView of(DemoPeer peer, Optional<PeerSnapshot> pooled) {
        String multiaddr = peer.address().map(Object::toString).orElse(null);
        if (pooled.isEmpty()) {
            return new PeerView(peer.name(), peer.peerId().toBase58(), multiaddr, peer.isRunning(), peer.served(),
                    peer.inboundConnections(), false, null, null, null, null, null, null, null, null, null, null, null,
                    null);
        }
        PeerSnapshot s = pooled.get();
        CircuitBreakerView breaker = s.circuitBreaker();
        PeerHealthMetrics health = s.health();
        return new PeerView(peer.name(), peer.peerId().toBase58(), multiaddr, peer.isRunning(), peer.served(),
                peer.inboundConnections(), true, breaker.state().name(), breaker.failureCount(),
                breaker.nextProbeAt(), health == null ? null : health.healthScore(),
                health == null ? null : health.currentLatencyMs(), health == null ? null : health.packetLossRate(),
                s.degraded(), s.leased(), s.idle(), s.pending(), s.streams(),
                s.info() == null ? null : s.info().agentVersion());
    }
}
