package io.guardian.pool.spring;

import io.guardian.pool.PoolConfig;
import java.nio.file.Path;
import io.guardian.pool.Transport;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The {@code guardian.pool.*} settings. Every {@link PoolConfig} setting appears here under its
 * own kebab-case name, as a nullable value: an unset property leaves the setting at the default
 * that {@link PoolConfig} defines, so the defaults live in core alone (the IDE shows them from
 * the starter's metadata, and a test keeps that metadata equal to {@link PoolConfig#defaults()}).
 * Values are checked by {@link PoolConfig.Builder#build()}; a bad one stops start-up with a
 * message that names the property.
 *
 * @param maxConnectionsPerPeer Most connections kept open to one peer, leased and idle together;
 *     callers beyond it wait. At least 1.
 * @param maxTotalConnections Most connections kept open across all peers (leased, idle and being
 *     dialed). At the limit the pool closes another peer's least recently used idle connection,
 *     or makes callers wait. At least 1.
 * @param connectionTimeout Bound on one dial attempt: TCP connect plus the whole handshake.
 * @param idleTimeout How long a connection may sit idle before it is no longer reused and is
 *     closed.
 * @param healthCheckInterval Period of the pool's housekeeping pass (evict idle, expired and
 *     dead connections, forget unused peers; always on) and, with health.enabled, of its PINGs
 *     of idle connections and peer scores.
 * @param maxRetryAttempts How many times a failed dial is retried inside one acquire; the
 *     guardianPoolRetryTemplate bean uses the same count for application calls. Zero or more.
 * @param initialRetryBackoff Wait before the first retry; later retries wait this times
 *     backoff-multiplier to the power of the retry number, capped at max-retry-backoff.
 * @param backoffMultiplier Growth factor of retry backoffs and of a circuit breaker's wait after
 *     a failed probe. At least 1.0.
 * @param circuitBreakerThreshold Breaker ratio of the original design: a peer's breaker opens
 *     after max(1, floor(10 x threshold)) consecutive failures (0.5 means 5), unless
 *     circuit-breaker.failure-threshold sets the count. Above 0, at most 1.
 * @param enableIntelligentLoadBalancing Whether an acquire takes the peer's idle connection with
 *     the lowest round-trip time (a moving average of its handshake, request and PING round
 *     trips) rather than the most recently returned one. When new connections are dialed, and
 *     which peer acquireAny picks, do not depend on it.
 * @param acquireTimeout How long a caller waits for a free connection at a limit before
 *     PoolExhaustedException; zero fails at once.
 * @param acquireDeadline Bound on a whole acquire: waiting at limits, every dial and handshake,
 *     and the retry backoffs between them; no retry starts that could not finish before it. At least acquire-timeout; by default the larger of 30s and acquire-timeout.
 * @param maxLifetime Age after which a connection is closed instead of being reused; zero means
 *     no limit.
 * @param leakDetectionThreshold How long a lease may be held before it raises one
 *     ConnectionLeakSuspected event with the stack of its acquire; zero switches leak detection
 *     off. Leases are checked
 *     every half threshold, whether or not health.enabled is set, so a leak is reported between
 *     one and about one and a half thresholds after its acquire.
 * @param pingTimeout How long the health monitor waits for a PONG before counting the PING as
 *     lost.
 * @param latencyBudget Round-trip time at which the latency parts of a peer's health score reach
 *     zero.
 * @param eventBufferSize Events held for delivery (to Spring listeners among others) before new
 *     ones are dropped and counted. At least 1.
 * @param maxRetryBackoff Cap on one retry backoff; by default the larger of 30s and
 *     initial-retry-backoff.
 * @param transport Wire stack the pool dials with. LIBP2P: multistream-select, Noise and yamux, a
 *     lease is a stream on a connection shared with other leases, for go-, rust- and js-libp2p
 *     nodes. GUARDIAN: the guardian-db protocol, a lease is the whole connection.
 * @param defaultProtocol Protocol id a lease negotiates on LIBP2P when acquire is given none; a
 *     PeerListener's message handler answers it.
 * @param maxStreamsPerConnection Leases (streams) one libp2p connection carries at once; another
 *     connection to the peer is dialed only when every one is full. Lowered per connection when
 *     the peer resets streams it never answered, as js-libp2p does beyond its per-protocol limit
 *     of inbound streams. 1 to 1000.
 * @param reusableStreamProtocols Comma-separated list of protocol ids whose libp2p streams carry
 *     several leases one after another, instead of a stream per lease. A lease that ends clean
 *     (every request answered, nothing failed, timed out or left unread, not marked failed)
 *     leaves its stream open for the next lease of that protocol on the connection, which then
 *     skips opening and negotiating one. The remote's handler must serve message after message on
 *     one stream, as a PeerListener's message handler does. Unset or empty: a stream per lease.
 * @param connectionManager Soft limits on open connections, as go-libp2p's connection manager.
 * @param circuitBreaker Circuit breaker timing.
 * @param handshake Handshake and framing.
 * @param identity This node's libp2p identity.
 * @param health The scheduled health monitor and the Actuator health indicator.
 * @param metrics Micrometer meters.
 * @param shutdown Closing the pool with the application context.
 * @param endpoint The connectionpool Actuator endpoint.
 * @param retry The retry beans: guardianPoolRetryPolicy, guardianPoolCoreRetryTemplate and, with
 *     spring-retry, guardianPoolRetryTemplate.
 * @param listener The auto-configured PeerListener, started when listener.port is set.
 */
@ConfigurationProperties("guardian.pool")
public record GuardianPoolProperties(
        Integer maxConnectionsPerPeer,
        Integer maxTotalConnections,
        Duration connectionTimeout,
        Duration idleTimeout,
        Duration healthCheckInterval,
        Integer maxRetryAttempts,
        Duration initialRetryBackoff,
        Double backoffMultiplier,
        Double circuitBreakerThreshold,
        Boolean enableIntelligentLoadBalancing,
        Duration acquireTimeout,
        Duration acquireDeadline,
        Duration maxLifetime,
        Duration leakDetectionThreshold,
        Duration pingTimeout,
        Duration latencyBudget,
        Integer eventBufferSize,
        Duration maxRetryBackoff,
        Transport transport,
        String defaultProtocol,
        Integer maxStreamsPerConnection,
        List<String> reusableStreamProtocols,
        @DefaultValue ConnectionManager connectionManager,
        @DefaultValue CircuitBreaker circuitBreaker,
        @DefaultValue Handshake handshake,
        @DefaultValue Identity identity,
        @DefaultValue Health health,
        @DefaultValue Metrics metrics,
        @DefaultValue Shutdown shutdown,
        @DefaultValue Endpoint endpoint,
        @DefaultValue Retry retry,
        @DefaultValue Listener listener) {

    /**
     * {@code guardian.pool.connection-manager.*}: trimming above a high watermark.
     *
     * @param lowWatermark Connections the manager trims down to once it starts; below
     *     high-watermark.
     * @param highWatermark Open connections above which the connection manager trims. It closes
     *     the least valuable ones (no lease on them, least recently used first; never a protected
     *     peer's, never one younger than grace-period); 0 turns the manager off. At most
     *     max-total-connections.
     * @param gracePeriod How long a new connection is safe from trimming.
     */
    public record ConnectionManager(Integer lowWatermark, Integer highWatermark, Duration gracePeriod) {
    }

    /**
     * {@code guardian.pool.circuit-breaker.*}: when an open breaker lets a probe through, and how
     * many failures open it.
     *
     * @param openTimeout How long an opened breaker rejects calls before letting one probe
     *     through; by default five times initial-retry-backoff.
     * @param failureThreshold Consecutive failures that open a breaker; unset or zero derives the
     *     count from circuit-breaker-threshold.
     * @param maxOpenTimeout Cap on the open wait, which grows by backoff-multiplier after each
     *     failed probe; by default the larger of 5 minutes and open-timeout.
     */
    public record CircuitBreaker(Duration openTimeout, Integer failureThreshold, Duration maxOpenTimeout) {
    }

    /**
     * {@code guardian.pool.handshake.*}: the guardian-db handshake and frames (PROTOCOL.md).
     *
     * @param protocolVersion Handshake the pool speaks when it dials: 1.1 (authenticated with
     *     Ed25519 signatures) or 1.0 (the original, unauthenticated; proves nothing about the
     *     peer). The pool never falls back on its own.
     * @param maxClockSkew How far a peer's handshake timestamp may be from this node's clock.
     * @param acceptPlain Whether a listener built from this configuration answers the
     *     unauthenticated 1.0 handshake.
     * @param allowedPeers Comma-separated list of the PeerIds a listener built from this
     *     configuration accepts as dialers (1.1 only); empty means anyone.
     * @param maxFrameSize Largest frame payload, in either direction (bytes unless a unit is
     *     given, e.g. 4MB).
     * @param timeout On a listener built from this configuration, the deadline for a whole
     *     inbound handshake, guardian-db or libp2p (multistream-select, Noise, yamux), counted
     *     from accept. When the pool dials, the deadline for each wait for the listener's next
     *     handshake message; the whole dial, connect plus handshake, stays bounded by
     *     connection-timeout.
     * @param pingAnswersPerSecond PINGs a connection answers per second, in either role, once a
     *     burst of 32 is spent; beyond it a PING is dropped unanswered, so a peer flooding PINGs
     *     costs neither memory nor a PONG each.
     */
    public record Handshake(String protocolVersion, Duration maxClockSkew, Boolean acceptPlain,
            List<String> allowedPeers, DataSize maxFrameSize, Duration timeout, Integer pingAnswersPerSecond) {
    }

    /**
     * {@code guardian.pool.identity.*}: who this node is when it dials.
     *
     * @param keyFile File holding this node's libp2p Ed25519 private key (the raw PrivateKey
     *     protobuf that go-libp2p and kubo write). It must exist. Unset, a fresh identity is
     *     generated at start-up and gone at shutdown, so peers see a new PeerId after a restart.
     */
    public record Identity(Path keyFile) {
    }

    /**
     * {@code guardian.pool.health.*}: the scheduled health monitor and the health indicator.
     *
     * @param enabled Whether the pool's health monitor PINGs idle connections and scores peers
     *     every health-check-interval, with each pass's report published as an application event.
     *     It runs on the pool's own housekeeping thread (the application needs no
     *     EnableScheduling annotation). Housekeeping without PINGs (idle eviction, retirement,
     *     leak checks) runs in core whatever this says.
     * @param downOnOpenCircuit Whether an open circuit breaker on any peer makes the
     *     connectionPool health indicator DOWN; when not, open breakers are listed in its
     *     details and it stays UP while the pool works.
     */
    public record Health(@DefaultValue("true") boolean enabled, @DefaultValue("false") boolean downOnOpenCircuit) {
    }

    /**
     * {@code guardian.pool.metrics.*}: Micrometer meters.
     *
     * @param perPeer Whether to add meters tagged with each peer's id. Every peer then adds a
     *     time series per meter.
     */
    public record Metrics(@DefaultValue("false") boolean perPeer) {
    }

    /**
     * {@code guardian.pool.shutdown.*}: closing the pool with the application context.
     *
     * @param gracePeriod How long the context's shutdown waits for leased connections to be
     *     returned before closing them under their holders. New acquires and waiting callers are
     *     refused as soon as the shutdown begins.
     */
    public record Shutdown(@DefaultValue("10s") Duration gracePeriod) {

        /** Rejects a negative grace, naming the property. */
        public Shutdown {
            if (gracePeriod.isNegative()) {
                throw new GuardianPoolPropertyException("guardian.pool.shutdown.grace-period",
                        "guardian.pool.shutdown.grace-period must be >= 0 (0 closes at once), was " + gracePeriod);
            }
        }
    }

    /**
     * {@code guardian.pool.retry.*}: the retry beans (their attempts and backoffs come from the
     * pool's retry settings).
     *
     * @param retryRequestTimeouts Whether the retry beans retry a request that timed out
     *     (RequestTimeoutException). The peer may already have acted on the request, so only
     *     applications whose requests are idempotent should turn it on. Dial timeouts are always
     *     retried; interrupts never are.
     */
    public record Retry(@DefaultValue("false") boolean retryRequestTimeouts) {
    }

    /**
     * {@code guardian.pool.endpoint.*}: the connectionpool Actuator endpoint.
     *
     * @param maxPeers Most peers listed by GET /actuator/connectionpool, the most active first;
     *     every peer stays reachable at /actuator/connectionpool/{peerId}.
     */
    public record Endpoint(@DefaultValue("100") int maxPeers) {

        /** Rejects a negative cap, naming the property. */
        public Endpoint {
            if (maxPeers < 0) {
                throw new GuardianPoolPropertyException("guardian.pool.endpoint.max-peers",
                        "guardian.pool.endpoint.max-peers must be >= 0, was " + maxPeers);
            }
        }
    }

    /**
     * {@code guardian.pool.listener.*}: a PeerListener answering as this node's identity, and the
     * limits that keep hostile dialers from exhausting it (core's InboundLimits and listener caps).
     *
     * @param port TCP port the listener answers on; 0 picks a free one. Unset, no listener is
     *     started.
     * @param bindAddress IP address the listener binds; 0.0.0.0 or :: to answer on every
     *     interface.
     * @param maxInboundConnections Most inbound connections open at once, handshaking or
     *     established; beyond it a new socket is closed on arrival. At least 1.
     * @param maxInboundPerPeer Most sessions one authenticated dialer PeerId may hold. At least 1.
     * @param maxPendingHandshakes Most inbound connections still in their handshake at once. At
     *     least 1.
     * @param maxInboundPerAddress Most inbound connections from one IPv4 address or IPv6 /64. At
     *     least 1.
     * @param maxPendingPerAddress Most handshakes in progress from one IPv4 address or IPv6 /64.
     *     At least 1.
     * @param firstByteTimeout How long an accepted socket may stay silent before its first byte.
     * @param idleTimeout How long an inbound connection may go without a byte read or written
     *     before it is closed; keep it above the dialers' keep-alive or health-check interval.
     * @param limitLoopback Whether the per-address limits and the handshake rate also apply to
     *     loopback addresses.
     * @param allowlistedAddresses Comma-separated list of CIDR blocks (or single addresses) exempt
     *     from every inbound cap, the handshake rate and the idle timeout; empty means none.
     * @param allowlistedPeers Comma-separated list of dialer PeerIds exempt, once authenticated,
     *     from the per-peer cap and the idle timeout; empty means none.
     * @param verificationThreads Threads of the listener's own executor for handshake signature
     *     checks; unset, half the available cores, at least 1.
     * @param maxQueuedVerifications Signature checks that may wait for a verification thread;
     *     beyond it a handshake is refused at once. At least 1.
     * @param handshakesPerSecondPerAddress New connections one IPv4 address or IPv6 /64 may open
     *     each second once its burst is spent; one over it is closed on arrival. Above 0.
     * @param handshakeBurstPerAddress New connections one address may open at once before the
     *     rate applies. At least 1.
     * @param maxBufferedInboundBytes Bytes all inbound connections together may make the listener
     *     buffer, reserved before allocation. It covers frames arriving or waiting for a handler
     *     and unread libp2p stream data; what does not fit closes that connection or resets that
     *     stream. Unset, an eighth of the maximum heap, at least 32MB; at least twice
     *     handshake.max-frame-size.
     */
    public record Listener(
            Integer port,
            @DefaultValue("127.0.0.1") String bindAddress,
            Integer maxInboundConnections,
            Integer maxInboundPerPeer,
            Integer maxPendingHandshakes,
            Integer maxInboundPerAddress,
            Integer maxPendingPerAddress,
            Duration firstByteTimeout,
            Duration idleTimeout,
            Boolean limitLoopback,
            List<String> allowlistedAddresses,
            List<String> allowlistedPeers,
            Integer verificationThreads,
            Integer maxQueuedVerifications,
            Double handshakesPerSecondPerAddress,
            Integer handshakeBurstPerAddress,
            DataSize maxBufferedInboundBytes) {
    }
}
