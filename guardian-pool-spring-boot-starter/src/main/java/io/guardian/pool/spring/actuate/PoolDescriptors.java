package io.guardian.pool.spring.actuate;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.guardian.pool.ConnectionInfo;
import io.guardian.pool.PeerSnapshot;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.PoolStats;
import io.guardian.pool.PooledConnection;
import io.guardian.pool.breaker.CircuitBreakerView;
import io.guardian.pool.health.PeerHealthMetrics;
import io.guardian.pool.net.ProtocolConfig;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;

/**
 * The JSON shapes of the {@code connectionpool} endpoint, built from the pool's public
 * snapshots. Times are ISO-8601 strings and ids are base58 text, so the output does not depend
 * on how the application configured Jackson. Nothing here can hold key material: the pool's
 * snapshots carry PeerIds and addresses only.
 */
public final class PoolDescriptors {

    private PoolDescriptors() {
    }

    /**
     * {@code GET /actuator/connectionpool}.
     *
     * @param name the pool's name (its bean name)
     * @param pools the names of every pool the endpoint shows, for {@code ?pool=name}
     * @param closed whether the pool was closed
     * @param localPeerId the PeerId this node dials as
     * @param stats the pool's statistics, with the original {@code PoolStats} fields
     * @param config the effective configuration, keyed by property name (without the
     *     {@code guardian.pool.} prefix)
     * @param peerCount how many peers the pool tracks
     * @param peers the most active peers first, at most {@code guardian.pool.endpoint.max-peers}
     */
    public record PoolDescriptor(String name, List<String> pools, boolean closed, String localPeerId, PoolStats stats, Map<String, Object> config,
            int peerCount, List<PeerDescriptor> peers) implements OperationResponseBody {
    }

    /**
     * One peer. In the pool listing {@code connections} is left out; {@code GET
     * /actuator/connectionpool/{peerId}} includes it.
     *
     * @param peerId the peer
     * @param address the multiaddr last dialed for it, {@code null} if never dialed
     * @param circuitBreaker its breaker
     * @param healthScore its last health score (0 to 1), {@code null} before a health pass saw
     *     one of its connections
     * @param health the last health measurement, {@code null} likewise
     * @param degraded whether its last score was below 0.5, or it was unreachable at the last pass
     * @param leased connections carrying a lease
     * @param idle idle connections
     * @param pending dials in progress
     * @param waiting callers waiting for one of its connections
     * @param streams leases out to it: on libp2p streams across its connections
     * @param identify its latest libp2p identify answer, {@code null} for guardian-db peers
     * @param connections its open connections, or {@code null} in the listing
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PeerDescriptor(String peerId, String address, BreakerDescriptor circuitBreaker, Double healthScore,
            HealthDescriptor health, boolean degraded, int leased, int idle, int pending, int waiting, int streams,
            IdentifyDescriptor identify, List<ConnectionDescriptor> connections) implements OperationResponseBody {

        static PeerDescriptor of(PeerSnapshot p, boolean withConnections) {
            PeerHealthMetrics h = p.health();
            return new PeerDescriptor(p.peerId().toBase58(), p.address() == null ? null : p.address().toString(),
                    BreakerDescriptor.of(p.circuitBreaker()), h == null ? null : h.healthScore(),
                    h == null ? null : HealthDescriptor.of(h), p.degraded(), p.leased(), p.idle(), p.pending(),
                    p.waiting(), p.streams(), p.info() == null ? null : IdentifyDescriptor.of(p.info()),
                    withConnections ? p.connections().stream().map(ConnectionDescriptor::of).toList() : null);
        }
    }

    /**
     * What a libp2p peer said about itself in identify.
     *
     * @param agentVersion its agent, e.g. go-libp2p/0.52.0
     * @param protocolVersion its protocol family, e.g. ipfs/0.1.0
     * @param protocols the protocol ids it answers
     * @param listenAddresses the addresses it announced (unverified)
     * @param receivedAt when the answer arrived
     */
    public record IdentifyDescriptor(String agentVersion, String protocolVersion, List<String> protocols,
            List<String> listenAddresses, String receivedAt) {

        static IdentifyDescriptor of(io.guardian.pool.PeerInfo i) {
            return new IdentifyDescriptor(i.agentVersion(), i.protocolVersion(), i.protocols(),
                    i.listenAddresses().stream().map(Object::toString).toList(), i.receivedAt().toString());
        }
    }

    /**
     * A peer's circuit breaker, with the original's fields.
     *
     * @param state {@code CLOSED}, {@code OPEN} or {@code HALF_OPEN}
     * @param failureCount consecutive failures since the last success
     * @param failureThreshold failures that open it
     * @param lastFailureTime when the last failure was recorded, or {@code null}
     * @param timeoutMs the current open wait in milliseconds
     * @param successCount consecutive successes (three in half-open close it)
     * @param nextProbeAt when an open breaker lets the next probe through, or {@code null}
     */
    public record BreakerDescriptor(String state, int failureCount, int failureThreshold, String lastFailureTime,
            long timeoutMs, int successCount, String nextProbeAt) {

        static BreakerDescriptor of(CircuitBreakerView b) {
            return new BreakerDescriptor(b.state().name(), b.failureCount(), b.failureThreshold(),
                    text(b.lastFailureTime()), b.timeoutMs(), b.successCount(), text(b.nextProbeAt()));
        }
    }

    /**
     * What the health monitor last measured for a peer, with the original's fields.
     *
     * @param currentLatencyMs moving average of its round trips
     * @param packetLossRate share of recent PINGs without a PONG, 0 to 1
     * @param throughputBps bytes moved while leased, per second leased
     * @param uptimeSecs seconds since its current run of connections began
     * @param healthScore the weighted score, 0 to 1
     * @param lastMeasured when the pass ran
     */
    public record HealthDescriptor(double currentLatencyMs, double packetLossRate, long throughputBps,
            long uptimeSecs, double healthScore, String lastMeasured) {

        static HealthDescriptor of(PeerHealthMetrics h) {
            return new HealthDescriptor(h.currentLatencyMs(), h.packetLossRate(), h.throughputBps(), h.uptimeSecs(),
                    h.healthScore(), text(h.lastMeasured()));
        }
    }

    /**
     * One open connection, with the original's {@code ConnectionInfo} and
     * {@code PooledConnection} fields.
     *
     * @param connectionId its id
     * @param peerAddress the multiaddr dialed
     * @param connectedAt when its handshake completed
     * @param lastUsed when it was last leased or returned
     * @param operationsCount messages sent on it
     * @param avgLatencyMs moving average of its round trips
     * @param status its state
     * @param priority 0 to 10, its own health score times ten
     * @param bandwidthBps bytes moved while leased per second leased
     * @param pooledAt when it last entered the pool
     * @param reuseCount leases after its first
     * @param inUse whether a caller holds it
     * @param streams leases on it now (libp2p streams; 0 or 1 on guardian-db)
     * @param inbound whether the peer dialed it (to an attached listener)
     */
    public record ConnectionDescriptor(String connectionId, String peerAddress, String connectedAt, String lastUsed,
            long operationsCount, double avgLatencyMs, String status, int priority, long bandwidthBps,
            String pooledAt, long reuseCount, boolean inUse, int streams, boolean inbound) {

        static ConnectionDescriptor of(PooledConnection c) {
            ConnectionInfo i = c.info();
            String address = i.peerAddress() == null ? null : i.peerAddress().toString();
            return new ConnectionDescriptor(i.connectionId(), address, text(i.connectedAt()), text(i.lastUsed()),
                    i.operationsCount(), i.avgLatencyMs(), i.status().name(), i.priority(), i.bandwidthBps(),
                    text(c.pooledAt()), c.reuseCount(), c.inUse(), c.streams(), c.inbound());
        }
    }

    /**
     * The result of a write operation on a peer.
     *
     * @param peerId the peer
     * @param action what was done: {@code evict} or {@code reset-breaker}
     * @param peer the peer as it is after the action (in the first pool acted on)
     * @param pools the names of the pools acted on: every pool that tracks the peer, or the one
     *     the request named
     */
    public record PeerActionResult(String peerId, String action, PeerDescriptor peer, List<String> pools)
            implements OperationResponseBody {
    }

    /** The effective configuration, keyed by the property names users set. */
    static Map<String, Object> config(PoolConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("max-connections-per-peer", c.maxConnectionsPerPeer());
        m.put("max-total-connections", c.maxTotalConnections());
        m.put("connection-timeout", c.connectionTimeout().toString());
        m.put("idle-timeout", c.idleTimeout().toString());
        m.put("health-check-interval", c.healthCheckInterval().toString());
        m.put("max-retry-attempts", c.maxRetryAttempts());
        m.put("initial-retry-backoff", c.initialRetryBackoff().toString());
        m.put("backoff-multiplier", c.backoffMultiplier());
        m.put("circuit-breaker-threshold", c.circuitBreakerThreshold());
        m.put("enable-intelligent-load-balancing", c.enableIntelligentLoadBalancing());
        m.put("acquire-timeout", c.acquireTimeout().toString());
        m.put("max-lifetime", c.maxLifetime().toString());
        m.put("leak-detection-threshold", c.leakDetectionThreshold().toString());
        m.put("ping-timeout", c.pingTimeout().toString());
        m.put("latency-budget", c.latencyBudget().toString());
        m.put("event-buffer-size", c.eventBufferSize());
        m.put("max-retry-backoff", c.maxRetryBackoff().toString());
        m.put("transport", c.transport().name());
        m.put("default-protocol", c.defaultProtocol());
        m.put("max-streams-per-connection", c.maxStreamsPerConnection());
        m.put("reusable-stream-protocols", List.copyOf(c.reusableStreamProtocols()));
        Map<String, Object> manager = new LinkedHashMap<>();
        manager.put("low-watermark", c.connectionManager().lowWatermark());
        manager.put("high-watermark", c.connectionManager().highWatermark());
        manager.put("grace-period", c.connectionManager().gracePeriod().toString());
        m.put("connection-manager", manager);
        Map<String, Object> breaker = new LinkedHashMap<>();
        breaker.put("open-timeout", c.circuitBreakerOpenTimeout().toString());
        breaker.put("failure-threshold", c.circuitBreakerFailureThreshold());
        breaker.put("effective-failure-threshold", c.effectiveFailureThreshold());
        breaker.put("max-open-timeout", c.circuitBreakerMaxOpenTimeout().toString());
        m.put("circuit-breaker", breaker);
        ProtocolConfig p = c.protocol();
        Map<String, Object> handshake = new LinkedHashMap<>();
        handshake.put("protocol-version", p.version().wireName());
        handshake.put("max-clock-skew", p.maxClockSkew().toString());
        handshake.put("accept-plain", p.acceptPlainHandshake());
        handshake.put("allowed-peers", p.allowedPeers().stream().map(id -> id.toBase58()).sorted().toList());
        handshake.put("max-frame-size", p.maxFrameSize());
        handshake.put("timeout", p.handshakeTimeout().toString());
        handshake.put("ping-answers-per-second", p.pingAnswersPerSecond());
        m.put("handshake", handshake);
        return m;
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
