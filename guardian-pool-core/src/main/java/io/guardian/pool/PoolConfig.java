package io.guardian.pool;

import io.guardian.pool.net.ProtocolConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Immutable settings of an {@link OptimizedConnectionPool}. Start from {@link #builder()} (or
 * {@link #defaults()}); {@link Builder#build()} validates every value and names the offending
 * setting in kebab case, the spelling the Spring Boot starter uses under {@code guardian.pool}.
 *
 * <p>The first ten settings and their defaults are those of the original GuardianDB pool; the
 * others close the gaps it left (how long a caller waits, how long a connection may live, leak
 * detection, breaker timing, health-check timing, the event buffer, the handshake).
 */
public final class PoolConfig {

    /** Default {@code max-connections-per-peer}: 8, as in the original. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_PEER = 8;
    /** Default {@code max-total-connections}: 1000, as in the original. */
    public static final int DEFAULT_MAX_TOTAL_CONNECTIONS = 1000;
    /** Default {@code connection-timeout}: 10 s, as in the original. */
    public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(10);
    /** Default {@code idle-timeout}: 300 s, as in the original. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(300);
    /** Default {@code health-check-interval}: 30 s, as in the original. */
    public static final Duration DEFAULT_HEALTH_CHECK_INTERVAL = Duration.ofSeconds(30);
    /** Default {@code max-retry-attempts}: 3 retries after the first attempt, as in the original. */
    public static final int DEFAULT_MAX_RETRY_ATTEMPTS = 3;
    /** Default {@code initial-retry-backoff}: 1000 ms, as in the original. */
    public static final Duration DEFAULT_INITIAL_RETRY_BACKOFF = Duration.ofMillis(1000);
    /** Default {@code backoff-multiplier}: 2.0, as in the original. */
    public static final double DEFAULT_BACKOFF_MULTIPLIER = 2.0;
    /** Default {@code circuit-breaker-threshold}: 0.5, which means 5 consecutive failures. */
    public static final double DEFAULT_CIRCUIT_BREAKER_THRESHOLD = 0.5;
    /** Default {@code enable-intelligent-load-balancing}: on, as in the original. */
    public static final boolean DEFAULT_ENABLE_INTELLIGENT_LOAD_BALANCING = true;
    /** Default {@code acquire-timeout}: 10 s, the same bound the original put on a dial. */
    public static final Duration DEFAULT_ACQUIRE_TIMEOUT = Duration.ofSeconds(10);
    /** Default {@code max-lifetime}: zero, meaning connections are never retired for age alone. */
    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ZERO;
    /** Default {@code leak-detection-threshold}: zero, meaning leak detection is off. */
    public static final Duration DEFAULT_LEAK_DETECTION_THRESHOLD = Duration.ZERO;
    /** How many initial retry backoffs the breaker stays open by default (the original's rule). */
    public static final int DEFAULT_OPEN_TIMEOUT_BACKOFFS = 5;
    /** Lower bound of the default {@code circuit-breaker.max-open-timeout}: 5 minutes. */
    public static final Duration DEFAULT_CIRCUIT_BREAKER_MAX_OPEN_TIMEOUT = Duration.ofMinutes(5);
    /** Default {@code ping-timeout}: 5 s, a PONG later than this counts as lost. */
    public static final Duration DEFAULT_PING_TIMEOUT = Duration.ofSeconds(5);
    /** Default {@code latency-budget}: 100 ms, the original's scoring breakpoint. */
    public static final Duration DEFAULT_LATENCY_BUDGET = Duration.ofMillis(100);
    /** Default {@code event-buffer-size}: 1024 undelivered events before new ones are dropped. */
    public static final int DEFAULT_EVENT_BUFFER_SIZE = 1024;
    /** Lower bound of the default {@code max-retry-backoff}: 30 s. */
    public static final Duration DEFAULT_MAX_RETRY_BACKOFF = Duration.ofSeconds(30);
    /**
     * Default floor of {@code acquire-deadline} when it is not set: 30 s, or {@code acquire-timeout}
     * if that is longer. With the other defaults a dial with every retry could otherwise take about
     * 57 s (4 × 10 s connects plus backoffs).
     */
    public static final Duration DEFAULT_ACQUIRE_DEADLINE = Duration.ofSeconds(30);
    /**
     * Longest duration any setting accepts (365 days); the engine adds settings to nanosecond clock
     * readings, and "forever" would overflow there.
     */
    /** Default {@code transport}: libp2p. */
    public static final Transport DEFAULT_TRANSPORT = Transport.LIBP2P;
    /** Default {@code default-protocol}: the protocol a {@code PeerListener}'s message handler answers. */
    public static final String DEFAULT_PROTOCOL = io.guardian.pool.net.PeerListener.DEFAULT_PROTOCOL;
    /**
     * Default {@code max-streams-per-connection}: 32, js-libp2p's default limit of inbound streams
     * per protocol and connection (its registrar's {@code maxInboundStreams}), the tightest of the
     * reference stacks; go-libp2p's resource manager allows more.
     */
    public static final int DEFAULT_MAX_STREAMS_PER_CONNECTION = 32;
    /** Longest protocol id accepted, in bytes: multistream-select's messages are bounded too. */
    public static final int MAX_PROTOCOL_ID_BYTES = 1000;

    public static final Duration LONGEST_DURATION = Duration.ofDays(365);

    private final int maxConnectionsPerPeer;
    private final int maxTotalConnections;
    private final Duration connectionTimeout;
    private final Duration idleTimeout;
    private final Duration healthCheckInterval;
    private final int maxRetryAttempts;
    private final Duration initialRetryBackoff;
    private final double backoffMultiplier;
    private final double circuitBreakerThreshold;
    private final boolean enableIntelligentLoadBalancing;
    private final Duration acquireTimeout;
    private final Duration acquireDeadline;
    private final Duration maxLifetime;
    private final Duration leakDetectionThreshold;
    private final Duration circuitBreakerOpenTimeout;
    private final int circuitBreakerFailureThreshold;
    private final Duration circuitBreakerMaxOpenTimeout;
    private final Duration pingTimeout;
    private final Duration latencyBudget;
    private final int eventBufferSize;
    private final Duration maxRetryBackoff;
    private final ProtocolConfig protocol;
    private final Transport transport;
    private final String defaultProtocol;
    private final int maxStreamsPerConnection;
    private final Set<String> reusableStreamProtocols;
    private final ConnectionManagerConfig connectionManager;

    private PoolConfig(Builder b) {
        this.transport = b.transport;
        this.defaultProtocol = b.defaultProtocol;
        this.maxStreamsPerConnection = b.maxStreamsPerConnection;
        this.reusableStreamProtocols = b.checkedReusableStreamProtocols;
        this.connectionManager = b.connectionManager;
        this.maxConnectionsPerPeer = b.maxConnectionsPerPeer;
        this.maxTotalConnections = b.maxTotalConnections;
        this.connectionTimeout = b.connectionTimeout;
        this.idleTimeout = b.idleTimeout;
        this.healthCheckInterval = b.healthCheckInterval;
        this.maxRetryAttempts = b.maxRetryAttempts;
        this.initialRetryBackoff = b.initialRetryBackoff;
        this.backoffMultiplier = b.backoffMultiplier;
        this.circuitBreakerThreshold = b.circuitBreakerThreshold;
        this.enableIntelligentLoadBalancing = b.enableIntelligentLoadBalancing;
        this.acquireTimeout = b.acquireTimeout;
        this.acquireDeadline = b.acquireDeadline != null ? b.acquireDeadline
                : max(DEFAULT_ACQUIRE_DEADLINE, b.acquireTimeout);
        this.maxLifetime = b.maxLifetime;
        this.leakDetectionThreshold = b.leakDetectionThreshold;
        this.circuitBreakerOpenTimeout = b.circuitBreakerOpenTimeout != null
                ? b.circuitBreakerOpenTimeout
                : b.initialRetryBackoff.multipliedBy(DEFAULT_OPEN_TIMEOUT_BACKOFFS);
        this.circuitBreakerFailureThreshold = b.circuitBreakerFailureThreshold;
        this.circuitBreakerMaxOpenTimeout = b.circuitBreakerMaxOpenTimeout != null
                ? b.circuitBreakerMaxOpenTimeout
                : max(DEFAULT_CIRCUIT_BREAKER_MAX_OPEN_TIMEOUT, circuitBreakerOpenTimeout);
        this.pingTimeout = b.pingTimeout;
        this.latencyBudget = b.latencyBudget;
        this.eventBufferSize = b.eventBufferSize;
        this.maxRetryBackoff = b.maxRetryBackoff != null
                ? b.maxRetryBackoff
                : max(DEFAULT_MAX_RETRY_BACKOFF, b.initialRetryBackoff);
        this.protocol = b.protocol;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /**
     * The original defaults plus the defaults of the additions.
     *
     * @return a configuration with every setting at its default
     */
    public static PoolConfig defaults() {
        return builder().build();
    }

    /**
     * A builder with every setting at its default.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding this configuration's values, to derive a variant. The derived defaults
     * ({@code circuit-breaker.open-timeout}, {@code circuit-breaker.max-open-timeout},
     * {@code max-retry-backoff}) are copied as resolved here, so changing
     * {@code initial-retry-backoff} on the copy does not move them.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        return new Builder()
                .maxConnectionsPerPeer(maxConnectionsPerPeer)
                .maxTotalConnections(maxTotalConnections)
                .connectionTimeout(connectionTimeout)
                .idleTimeout(idleTimeout)
                .healthCheckInterval(healthCheckInterval)
                .maxRetryAttempts(maxRetryAttempts)
                .initialRetryBackoff(initialRetryBackoff)
                .backoffMultiplier(backoffMultiplier)
                .circuitBreakerThreshold(circuitBreakerThreshold)
                .enableIntelligentLoadBalancing(enableIntelligentLoadBalancing)
                .acquireTimeout(acquireTimeout)
                .acquireDeadline(acquireDeadline)
                .maxLifetime(maxLifetime)
                .leakDetectionThreshold(leakDetectionThreshold)
                .circuitBreakerOpenTimeout(circuitBreakerOpenTimeout)
                .circuitBreakerFailureThreshold(circuitBreakerFailureThreshold)
                .circuitBreakerMaxOpenTimeout(circuitBreakerMaxOpenTimeout)
                .pingTimeout(pingTimeout)
                .latencyBudget(latencyBudget)
                .eventBufferSize(eventBufferSize)
                .maxRetryBackoff(maxRetryBackoff)
                .protocol(protocol)
                .transport(transport)
                .defaultProtocol(defaultProtocol)
                .maxStreamsPerConnection(maxStreamsPerConnection)
                .reusableStreamProtocols(reusableStreamProtocols)
                .connectionManager(connectionManager);
    }

    /**
     * Most connections kept open to one peer, leased and idle together; callers beyond it wait.
     *
     * @return {@code max-connections-per-peer}
     */
    public int maxConnectionsPerPeer() {
        return maxConnectionsPerPeer;
    }

    /**
     * Most connections kept open across all peers (leased, idle and being dialed). At the limit
     * the pool closes another peer's least recently used idle connection, or makes callers wait.
     *
     * @return {@code max-total-connections}
     */
    public int maxTotalConnections() {
        return maxTotalConnections;
    }

    /**
     * Bound on one dial attempt: TCP connect plus the whole handshake.
     *
     * @return {@code connection-timeout}
     */
    public Duration connectionTimeout() {
        return connectionTimeout;
    }

    /**
     * How long a connection may sit idle before it is no longer reused and is closed.
     *
     * @return {@code idle-timeout}
     */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /**
     * Period of the health monitor: ping idle connections, evict stale ones, score peers.
     *
     * @return {@code health-check-interval}
     */
    public Duration healthCheckInterval() {
        return healthCheckInterval;
    }

    /**
     * How many times a failed dial is retried (so at most this plus one attempts per acquire).
     *
     * @return {@code max-retry-attempts}
     */
    public int maxRetryAttempts() {
        return maxRetryAttempts;
    }

    /**
     * Wait before the first retry; later retries wait this times {@link #backoffMultiplier()} to
     * the power of the retry number, jittered and capped at {@link #maxRetryBackoff()}.
     *
     * @return {@code initial-retry-backoff}
     */
    public Duration initialRetryBackoff() {
        return initialRetryBackoff;
    }

    /**
     * Growth factor of retry backoffs and of the breaker's wait after a failed probe.
     *
     * @return {@code backoff-multiplier}
     */
    public double backoffMultiplier() {
        return backoffMultiplier;
    }

    /**
     * The original's breaker setting: a breaker opens after {@code max(1, floor(10 × threshold))}
     * consecutive failures (0.5 → 5, 0.3 → 3), unless {@link #circuitBreakerFailureThreshold()}
     * sets the count directly.
     *
     * @return {@code circuit-breaker-threshold}
     */
    public double circuitBreakerThreshold() {
        return circuitBreakerThreshold;
    }

    /**
     * Which of a peer's idle connections an acquire takes. On: the one with the lowest round-trip
     * time, a moving average of its handshake round trip, its {@code request} round trips and its
     * health PINGs (a lost PING counts as {@code ping-timeout}). Off: the most recently returned
     * one. Nothing else depends on it: a new connection is dialed only when no idle connection
     * can be reused and the peer is under {@code max-connections-per-peer}, and
     * {@code acquireAny} chooses its peer the same way, whichever the setting.
     *
     * @return {@code enable-intelligent-load-balancing}
     */
    public boolean enableIntelligentLoadBalancing() {
        return enableIntelligentLoadBalancing;
    }

    /**
     * How long a caller waits for a free connection at a limit before
     * {@link PoolExhaustedException}; zero fails at once. The whole acquire, dials included, is bounded by
     * {@link #acquireDeadline()}.
     *
     * @return {@code acquire-timeout}
     */
    public Duration acquireTimeout() {
        return acquireTimeout;
    }

    /**
     * The one bound on a whole acquire: waiting at limits, every dial and handshake attempt, and
     * the backoffs between them. Past it the acquire fails: with {@link PoolExhaustedException}
     * while it waits at a limit, with the last dial's failure when one failed, else with
     * {@link DialTimeoutException}. No retry starts that could not finish before it. When not set:
     * {@link #DEFAULT_ACQUIRE_DEADLINE} or {@code acquire-timeout}, whichever is longer.
     *
     * @return {@code acquire-deadline}
     */
    public Duration acquireDeadline() {
        return acquireDeadline;
    }

    /**
     * Age after which a connection is closed instead of being reused; zero means no limit.
     *
     * @return {@code max-lifetime}
     */
    public Duration maxLifetime() {
        return maxLifetime;
    }

    /**
     * A lease held longer than this raises one {@code ConnectionLeakSuspected} event with the
     * stack of its acquire; zero (the default) switches leak detection, and the cost of
     * capturing stacks, off. Leases are checked every half threshold (at least 1 ms apart) on the
     * housekeeping thread, whether or not the health monitor runs, so a leak is reported between
     * one and about one and a half thresholds after its acquire.
     *
     * @return {@code leak-detection-threshold}
     */
    public Duration leakDetectionThreshold() {
        return leakDetectionThreshold;
    }

    /**
     * How long an opened breaker rejects calls before letting one probe through; by default
     * five times {@link #initialRetryBackoff()}.
     *
     * @return {@code circuit-breaker.open-timeout}
     */
    public Duration circuitBreakerOpenTimeout() {
        return circuitBreakerOpenTimeout;
    }

    /**
     * Consecutive failures that open a breaker, when set; zero (the default) derives it from
     * {@link #circuitBreakerThreshold()}. See {@link #effectiveFailureThreshold()}.
     *
     * @return {@code circuit-breaker.failure-threshold}, or zero when derived
     */
    public int circuitBreakerFailureThreshold() {
        return circuitBreakerFailureThreshold;
    }

    /**
     * Cap on the breaker's open wait, which grows by {@link #backoffMultiplier()} after each
     * failed probe; by default the larger of 5 minutes and the open timeout.
     *
     * @return {@code circuit-breaker.max-open-timeout}
     */
    public Duration circuitBreakerMaxOpenTimeout() {
        return circuitBreakerMaxOpenTimeout;
    }

    /**
     * How long the health monitor waits for a PONG before counting the PING as lost.
     *
     * @return {@code ping-timeout}
     */
    public Duration pingTimeout() {
        return pingTimeout;
    }

    /**
     * Round-trip time at which the connectivity and latency parts of the health score reach zero
     * (the original scored against a fixed 100 ms).
     *
     * @return {@code latency-budget}
     */
    public Duration latencyBudget() {
        return latencyBudget;
    }

    /**
     * Events held for delivery before new ones are dropped (and counted) because listeners are
     * too slow.
     *
     * @return {@code event-buffer-size}
     */
    public int eventBufferSize() {
        return eventBufferSize;
    }

    /**
     * Cap on one retry backoff; by default the larger of 30 s and the initial backoff.
     *
     * @return {@code max-retry-backoff}
     */
    public Duration maxRetryBackoff() {
        return maxRetryBackoff;
    }

    /**
     * Handshake and framing settings used when dialing.
     *
     * @return the protocol configuration
     */
    public ProtocolConfig protocol() {
        return protocol;
    }

    /**
     * The wire stack the pool dials with.
     *
     * @return {@code transport}, {@link Transport#LIBP2P} by default
     */
    public Transport transport() {
        return transport;
    }

    /**
     * The protocol id {@code acquire(peer, address)} negotiates on {@link Transport#LIBP2P}.
     *
     * @return {@code default-protocol}
     */
    public String defaultProtocol() {
        return defaultProtocol;
    }

    /**
     * Leases one libp2p connection carries at once (each a stream); a second connection to the peer
     * is dialed only when every one is full. Lowered per connection when the remote refuses
     * streams. Guardian connections carry one lease whatever this says.
     *
     * @return {@code max-streams-per-connection}
     */
    public int maxStreamsPerConnection() {
        return maxStreamsPerConnection;
    }

    /**
     * Protocols whose libp2p streams carry several leases one after another, instead of a stream
     * per lease: a lease of such a protocol that ends clean leaves its stream open and idle on its
     * connection, and the next lease of the peer and protocol on that connection takes it, with no
     * yamux SYN, no protocol negotiation and no FIN. Empty by default (a stream per lease). Only
     * libp2p uses it.
     *
     * <p>The contract: the remote's handler of such a protocol must serve message after message on
     * one stream, as a {@code PeerListener} message handler does. A lease's stream is kept only if
     * the lease ended clean: it received at least one message and one reply for every message it
     * sent, nothing failed or timed out, no write is in flight or failed, nothing unread is
     * buffered, neither side closed or reset the stream, and the lease was not
     * {@code markFailed}; any other stream is closed or reset as without this setting. Idle
     * streams do not count as leased streams (stats and snapshots count leases), but idle and
     * leased streams of a connection together stay within {@code max-streams-per-connection}: a
     * new stream closes the oldest idle ones first. An idle stream the remote writes to, closes or
     * resets is dropped, never handed to a lease; one idle for half the libp2p stream idle timeout
     * (60 s) is closed, before a remote resetting silent streams (ours and js-libp2p's after
     * 120 s) would; all close with their connection.
     *
     * @return {@code reusable-stream-protocols}, unmodifiable, empty by default
     */
    public Set<String> reusableStreamProtocols() {
        return reusableStreamProtocols;
    }

    /**
     * The connection manager's watermarks and grace period.
     *
     * @return {@code connection-manager.*}
     */
    public ConnectionManagerConfig connectionManager() {
        return connectionManager;
    }

    /**
     * The number of consecutive failures that opens a breaker: the override when set, else
     * {@code max(1, floor(10 × circuit-breaker-threshold))}.
     *
     * @return F, at least 1
     */
    public int effectiveFailureThreshold() {
        if (circuitBreakerFailureThreshold > 0) {
            return circuitBreakerFailureThreshold;
        }
        // A small epsilon so that 0.3 (0.29999…) × 10 still floors to 3, as the original intends.
        return Math.max(1, (int) Math.floor(10.0 * circuitBreakerThreshold + 1e-9));
    }

    // ------------------------------------------------------------ the settings by group

    /**
     * The limits: how many connections, and how long an acquire may take.
     *
     * @param maxConnectionsPerPeer {@code max-connections-per-peer}
     * @param maxTotalConnections {@code max-total-connections}
     * @param acquireTimeout {@code acquire-timeout}: the longest wait at a limit
     * @param acquireDeadline {@code acquire-deadline}: the bound on a whole acquire
     * @param enableIntelligentLoadBalancing {@code enable-intelligent-load-balancing}
     */
    public record Limits(int maxConnectionsPerPeer, int maxTotalConnections, Duration acquireTimeout,
            Duration acquireDeadline, boolean enableIntelligentLoadBalancing) {
    }

    /**
     * Dialing and its retries.
     *
     * @param connectionTimeout {@code connection-timeout}: one attempt, connect plus handshake
     * @param maxRetryAttempts {@code max-retry-attempts}
     * @param initialRetryBackoff {@code initial-retry-backoff}
     * @param backoffMultiplier {@code backoff-multiplier}
     * @param maxRetryBackoff {@code max-retry-backoff}
     */
    public record Retry(Duration connectionTimeout, int maxRetryAttempts, Duration initialRetryBackoff,
            double backoffMultiplier, Duration maxRetryBackoff) {
    }

    /**
     * The per-peer circuit breaker.
     *
     * @param threshold {@code circuit-breaker-threshold}, the original ratio
     * @param failureThreshold {@link #effectiveFailureThreshold()}: consecutive failures that open it
     * @param openTimeout {@code circuit-breaker.open-timeout}
     * @param maxOpenTimeout {@code circuit-breaker.max-open-timeout}
     */
    public record Breaker(double threshold, int failureThreshold, Duration openTimeout, Duration maxOpenTimeout) {
    }

    /**
     * Housekeeping and health: eviction, retirement, leak checks, PINGs and scores.
     *
     * @param healthCheckInterval {@code health-check-interval}
     * @param idleTimeout {@code idle-timeout}
     * @param maxLifetime {@code max-lifetime}, zero for none
     * @param leakDetectionThreshold {@code leak-detection-threshold}, zero for off
     * @param pingTimeout {@code ping-timeout}
     * @param latencyBudget {@code latency-budget}
     * @param eventBufferSize {@code event-buffer-size}
     */
    public record Health(Duration healthCheckInterval, Duration idleTimeout, Duration maxLifetime,
            Duration leakDetectionThreshold, Duration pingTimeout, Duration latencyBudget, int eventBufferSize) {
    }

    /**
     * The limits group; the same values as the flat accessors.
     *
     * @return limits and acquire bounds
     */
    public Limits limits() {
        return new Limits(maxConnectionsPerPeer, maxTotalConnections, acquireTimeout, acquireDeadline,
                enableIntelligentLoadBalancing);
    }

    /**
     * The retry group; the same values as the flat accessors.
     *
     * @return dial and retry settings
     */
    public Retry retry() {
        return new Retry(connectionTimeout, maxRetryAttempts, initialRetryBackoff, backoffMultiplier,
                maxRetryBackoff);
    }

    /**
     * The breaker group, derived defaults resolved.
     *
     * @return circuit breaker settings
     */
    public Breaker breaker() {
        return new Breaker(circuitBreakerThreshold, effectiveFailureThreshold(), circuitBreakerOpenTimeout,
                circuitBreakerMaxOpenTimeout);
    }

    /**
     * The health group; the same values as the flat accessors.
     *
     * @return housekeeping and health settings
     */
    public Health health() {
        return new Health(healthCheckInterval, idleTimeout, maxLifetime, leakDetectionThreshold, pingTimeout,
                latencyBudget, eventBufferSize);
    }

    /**
     * The handshake group: the same object as {@link #protocol()}.
     *
     * @return handshake and framing settings
     */
    public ProtocolConfig handshake() {
        return protocol;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof PoolConfig)) {
            return false;
        }
        PoolConfig c = (PoolConfig) o;
        return maxConnectionsPerPeer == c.maxConnectionsPerPeer
                && maxTotalConnections == c.maxTotalConnections
                && maxRetryAttempts == c.maxRetryAttempts
                && Double.compare(backoffMultiplier, c.backoffMultiplier) == 0
                && Double.compare(circuitBreakerThreshold, c.circuitBreakerThreshold) == 0
                && enableIntelligentLoadBalancing == c.enableIntelligentLoadBalancing
                && circuitBreakerFailureThreshold == c.circuitBreakerFailureThreshold
                && eventBufferSize == c.eventBufferSize
                && connectionTimeout.equals(c.connectionTimeout)
                && idleTimeout.equals(c.idleTimeout)
                && healthCheckInterval.equals(c.healthCheckInterval)
                && initialRetryBackoff.equals(c.initialRetryBackoff)
                && acquireTimeout.equals(c.acquireTimeout)
                && acquireDeadline.equals(c.acquireDeadline)
                && maxLifetime.equals(c.maxLifetime)
                && leakDetectionThreshold.equals(c.leakDetectionThreshold)
                && circuitBreakerOpenTimeout.equals(c.circuitBreakerOpenTimeout)
                && circuitBreakerMaxOpenTimeout.equals(c.circuitBreakerMaxOpenTimeout)
                && pingTimeout.equals(c.pingTimeout)
                && latencyBudget.equals(c.latencyBudget)
                && maxRetryBackoff.equals(c.maxRetryBackoff)
                && protocol.equals(c.protocol)
                && transport == c.transport
                && defaultProtocol.equals(c.defaultProtocol)
                && maxStreamsPerConnection == c.maxStreamsPerConnection
                && reusableStreamProtocols.equals(c.reusableStreamProtocols)
                && connectionManager.equals(c.connectionManager);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxConnectionsPerPeer, maxTotalConnections, connectionTimeout, idleTimeout,
                healthCheckInterval, maxRetryAttempts, initialRetryBackoff, backoffMultiplier,
                circuitBreakerThreshold, enableIntelligentLoadBalancing, acquireTimeout, acquireDeadline, maxLifetime,
                leakDetectionThreshold, circuitBreakerOpenTimeout, circuitBreakerFailureThreshold,
                circuitBreakerMaxOpenTimeout, pingTimeout, latencyBudget, eventBufferSize, maxRetryBackoff,
                protocol, transport, defaultProtocol, maxStreamsPerConnection, reusableStreamProtocols,
                connectionManager);
    }

    @Override
    public String toString() {
        return "PoolConfig[max-connections-per-peer=" + maxConnectionsPerPeer
                + ", max-total-connections=" + maxTotalConnections
                + ", connection-timeout=" + connectionTimeout
                + ", idle-timeout=" + idleTimeout
                + ", health-check-interval=" + healthCheckInterval
                + ", max-retry-attempts=" + maxRetryAttempts
                + ", initial-retry-backoff=" + initialRetryBackoff
                + ", backoff-multiplier=" + backoffMultiplier
                + ", circuit-breaker-threshold=" + circuitBreakerThreshold
                + ", enable-intelligent-load-balancing=" + enableIntelligentLoadBalancing
                + ", acquire-timeout=" + acquireTimeout
                + ", acquire-deadline=" + acquireDeadline
                + ", max-lifetime=" + maxLifetime
                + ", leak-detection-threshold=" + leakDetectionThreshold
                + ", circuit-breaker.open-timeout=" + circuitBreakerOpenTimeout
                + ", circuit-breaker.failure-threshold=" + circuitBreakerFailureThreshold
                + ", circuit-breaker.max-open-timeout=" + circuitBreakerMaxOpenTimeout
                + ", ping-timeout=" + pingTimeout
                + ", latency-budget=" + latencyBudget
                + ", event-buffer-size=" + eventBufferSize
                + ", max-retry-backoff=" + maxRetryBackoff
                + ", transport=" + transport
                + ", default-protocol=" + defaultProtocol
                + ", max-streams-per-connection=" + maxStreamsPerConnection
                + ", reusable-stream-protocols=" + reusableStreamProtocols
                + ", connection-manager.low-watermark=" + connectionManager.lowWatermark()
                + ", connection-manager.high-watermark=" + connectionManager.highWatermark()
                + ", connection-manager.grace-period=" + connectionManager.gracePeriod()
                + ", protocol=" + protocol + "]";
    }

    /**
     * Collects settings for a {@link PoolConfig}; every setting starts at its default. Not
     * thread-safe; {@link #build()} validates.
     */
    public static final class Builder {
        private int maxConnectionsPerPeer = DEFAULT_MAX_CONNECTIONS_PER_PEER;
        private int maxTotalConnections = DEFAULT_MAX_TOTAL_CONNECTIONS;
        private Duration connectionTimeout = DEFAULT_CONNECTION_TIMEOUT;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private Duration healthCheckInterval = DEFAULT_HEALTH_CHECK_INTERVAL;
        private int maxRetryAttempts = DEFAULT_MAX_RETRY_ATTEMPTS;
        private Duration initialRetryBackoff = DEFAULT_INITIAL_RETRY_BACKOFF;
        private double backoffMultiplier = DEFAULT_BACKOFF_MULTIPLIER;
        private double circuitBreakerThreshold = DEFAULT_CIRCUIT_BREAKER_THRESHOLD;
        private boolean enableIntelligentLoadBalancing = DEFAULT_ENABLE_INTELLIGENT_LOAD_BALANCING;
        private Duration acquireTimeout = DEFAULT_ACQUIRE_TIMEOUT;
        private Duration acquireDeadline;
        private Duration maxLifetime = DEFAULT_MAX_LIFETIME;
        private Duration leakDetectionThreshold = DEFAULT_LEAK_DETECTION_THRESHOLD;
        private Duration circuitBreakerOpenTimeout;
        private int circuitBreakerFailureThreshold;
        private Duration circuitBreakerMaxOpenTimeout;
        private Duration pingTimeout = DEFAULT_PING_TIMEOUT;
        private Duration latencyBudget = DEFAULT_LATENCY_BUDGET;
        private int eventBufferSize = DEFAULT_EVENT_BUFFER_SIZE;
        private Duration maxRetryBackoff;
        private ProtocolConfig protocol = ProtocolConfig.defaults();
        private Transport transport = DEFAULT_TRANSPORT;
        private String defaultProtocol = DEFAULT_PROTOCOL;
        private int maxStreamsPerConnection = DEFAULT_MAX_STREAMS_PER_CONNECTION;
        private List<String> reusableStreamProtocols = List.of();
        /** {@link #reusableStreamProtocols} checked, by {@link #build()}. */
        private Set<String> checkedReusableStreamProtocols;
        private ConnectionManagerConfig connectionManager = ConnectionManagerConfig.OFF;

        private Builder() {
        }

        /**
         * @param value most connections to one peer, at least 1 (default 8)
         * @return this builder
         */
        public Builder maxConnectionsPerPeer(int value) {
            this.maxConnectionsPerPeer = value;
            return this;
        }

        /**
         * @param value most connections in the pool, at least 1 (default 1000)
         * @return this builder
         */
        public Builder maxTotalConnections(int value) {
            this.maxTotalConnections = value;
            return this;
        }

        /**
         * @param value bound on connect plus handshake, positive (default 10 s)
         * @return this builder
         */
        public Builder connectionTimeout(Duration value) {
            this.connectionTimeout = value;
            return this;
        }

        /**
         * @param value idle time after which a connection is closed, positive (default 300 s)
         * @return this builder
         */
        public Builder idleTimeout(Duration value) {
            this.idleTimeout = value;
            return this;
        }

        /**
         * @param value period of the health monitor, positive (default 30 s)
         * @return this builder
         */
        public Builder healthCheckInterval(Duration value) {
            this.healthCheckInterval = value;
            return this;
        }

        /**
         * @param value retries after a failed dial, zero or more (default 3)
         * @return this builder
         */
        public Builder maxRetryAttempts(int value) {
            this.maxRetryAttempts = value;
            return this;
        }

        /**
         * @param value wait before the first retry, positive (default 1000 ms)
         * @return this builder
         */
        public Builder initialRetryBackoff(Duration value) {
            this.initialRetryBackoff = value;
            return this;
        }

        /**
         * @param value growth factor of backoffs, at least 1.0 (default 2.0)
         * @return this builder
         */
        public Builder backoffMultiplier(double value) {
            this.backoffMultiplier = value;
            return this;
        }

        /**
         * @param value the original breaker ratio, above 0 and at most 1 (default 0.5: 5 failures)
         * @return this builder
         */
        public Builder circuitBreakerThreshold(double value) {
            this.circuitBreakerThreshold = value;
            return this;
        }

        /**
         * @param value whether an acquire takes the peer's idle connection with the lowest
         *     round-trip time rather than the most recently returned one (default true)
         * @return this builder
         */
        public Builder enableIntelligentLoadBalancing(boolean value) {
            this.enableIntelligentLoadBalancing = value;
            return this;
        }

        /**
         * @param value longest wait for a free connection, zero or more (default 10 s)
         * @return this builder
         */
        public Builder acquireTimeout(Duration value) {
            this.acquireTimeout = value;
            return this;
        }

        /**
         * @param value the longest a whole acquire may take, waits, dials and retries together,
         *     at least {@code acquire-timeout} (default: 30 s or {@code acquire-timeout}, whichever
         *     is longer); {@code null} restores the default
         * @return this builder
         */
        public Builder acquireDeadline(Duration value) {
            this.acquireDeadline = value;
            return this;
        }

        /**
         * @param value age at which connections are retired, zero for none (default zero)
         * @return this builder
         */
        public Builder maxLifetime(Duration value) {
            this.maxLifetime = value;
            return this;
        }

        /**
         * @param value lease age that raises a leak event, zero for off (default zero)
         * @return this builder
         */
        public Builder leakDetectionThreshold(Duration value) {
            this.leakDetectionThreshold = value;
            return this;
        }

        /**
         * @param value first open wait of a breaker, positive; {@code null} restores the default
         *     of five initial retry backoffs
         * @return this builder
         */
        public Builder circuitBreakerOpenTimeout(Duration value) {
            this.circuitBreakerOpenTimeout = value;
            return this;
        }

        /**
         * @param value consecutive failures that open a breaker; zero derives it from
         *     {@code circuit-breaker-threshold} (default zero)
         * @return this builder
         */
        public Builder circuitBreakerFailureThreshold(int value) {
            this.circuitBreakerFailureThreshold = value;
            return this;
        }

        /**
         * @param value cap on a breaker's open wait, at least the open timeout; {@code null}
         *     restores the default (the larger of 5 minutes and the open timeout)
         * @return this builder
         */
        public Builder circuitBreakerMaxOpenTimeout(Duration value) {
            this.circuitBreakerMaxOpenTimeout = value;
            return this;
        }

        /**
         * @param value wait for a PONG, positive (default 5 s)
         * @return this builder
         */
        public Builder pingTimeout(Duration value) {
            this.pingTimeout = value;
            return this;
        }

        /**
         * @param value round trip that scores zero, positive (default 100 ms)
         * @return this builder
         */
        public Builder latencyBudget(Duration value) {
            this.latencyBudget = value;
            return this;
        }

        /**
         * @param value undelivered events held, at least 1 (default 1024)
         * @return this builder
         */
        public Builder eventBufferSize(int value) {
            this.eventBufferSize = value;
            return this;
        }

        /**
         * @param value cap on one retry backoff, at least the initial backoff; {@code null}
         *     restores the default (the larger of 30 s and the initial backoff)
         * @return this builder
         */
        public Builder maxRetryBackoff(Duration value) {
            this.maxRetryBackoff = value;
            return this;
        }

        /**
         * @param value handshake and framing settings for dialing (default
         *     {@link ProtocolConfig#defaults()})
         * @return this builder
         */
        public Builder protocol(ProtocolConfig value) {
            this.protocol = value;
            return this;
        }

        /**
         * @param value the wire stack to dial with (default {@link Transport#LIBP2P})
         * @return this builder
         */
        public Builder transport(Transport value) {
            this.transport = value;
            return this;
        }

        /**
         * @param value the protocol id {@code acquire(peer, address)} negotiates on libp2p (default
         *     {@value #DEFAULT_PROTOCOL})
         * @return this builder
         */
        public Builder defaultProtocol(String value) {
            this.defaultProtocol = value;
            return this;
        }

        /**
         * @param value leases (streams) one libp2p connection carries at once, 1 to 1000 (default
         *     {@value #DEFAULT_MAX_STREAMS_PER_CONNECTION})
         * @return this builder
         */
        public Builder maxStreamsPerConnection(int value) {
            this.maxStreamsPerConnection = value;
            return this;
        }

        /**
         * @param value protocols whose libp2p streams may carry several leases one after another
         *     (default none: a stream per lease); each a protocol id. See
         *     {@link PoolConfig#reusableStreamProtocols()} for the contract the remote must meet.
         * @return this builder
         */
        public Builder reusableStreamProtocols(Collection<String> value) {
            // Copied now (the caller may change its collection), checked by build().
            this.reusableStreamProtocols = value == null ? null : new ArrayList<>(value);
            return this;
        }

        /**
         * @param value the connection manager's watermarks and grace period (default
         *     {@link ConnectionManagerConfig#OFF})
         * @return this builder
         */
        public Builder connectionManager(ConnectionManagerConfig value) {
            this.connectionManager = value;
            return this;
        }

        /**
         * Sets the limits group at once; the flat setters set the same values.
         *
         * @param value the limits
         * @return this builder
         */
        public Builder limits(Limits value) {
            Objects.requireNonNull(value, "limits must not be null");
            return maxConnectionsPerPeer(value.maxConnectionsPerPeer()).maxTotalConnections(value.maxTotalConnections())
                    .acquireTimeout(value.acquireTimeout()).acquireDeadline(value.acquireDeadline())
                    .enableIntelligentLoadBalancing(value.enableIntelligentLoadBalancing());
        }

        /**
         * Sets the retry group at once; the flat setters set the same values.
         *
         * @param value the dial and retry settings
         * @return this builder
         */
        public Builder retry(Retry value) {
            Objects.requireNonNull(value, "retry must not be null");
            return connectionTimeout(value.connectionTimeout()).maxRetryAttempts(value.maxRetryAttempts())
                    .initialRetryBackoff(value.initialRetryBackoff()).backoffMultiplier(value.backoffMultiplier())
                    .maxRetryBackoff(value.maxRetryBackoff());
        }

        /**
         * Sets the breaker group at once; its {@code failureThreshold} becomes
         * {@code circuit-breaker.failure-threshold}.
         *
         * @param value the circuit breaker settings
         * @return this builder
         */
        public Builder breaker(Breaker value) {
            Objects.requireNonNull(value, "breaker must not be null");
            return circuitBreakerThreshold(value.threshold()).circuitBreakerFailureThreshold(value.failureThreshold())
                    .circuitBreakerOpenTimeout(value.openTimeout()).circuitBreakerMaxOpenTimeout(value.maxOpenTimeout());
        }

        /**
         * Sets the health group at once; the flat setters set the same values.
         *
         * @param value the housekeeping and health settings
         * @return this builder
         */
        public Builder health(Health value) {
            Objects.requireNonNull(value, "health must not be null");
            return healthCheckInterval(value.healthCheckInterval()).idleTimeout(value.idleTimeout())
                    .maxLifetime(value.maxLifetime()).leakDetectionThreshold(value.leakDetectionThreshold())
                    .pingTimeout(value.pingTimeout()).latencyBudget(value.latencyBudget())
                    .eventBufferSize(value.eventBufferSize());
        }

        /**
         * Sets the handshake group: the same as {@link #protocol(ProtocolConfig)}.
         *
         * @param value handshake and framing settings
         * @return this builder
         */
        public Builder handshake(ProtocolConfig value) {
            return protocol(value);
        }

        /**
         * Validates every setting and builds the configuration.
         *
         * @return the configuration
         * @throws InvalidSettingException naming the first setting out of range ({@link
         *     InvalidSettingException#setting()}), its bound and the value given
         * @throws NullPointerException naming a required setting that was set to {@code null}
         */
        public PoolConfig build() {
            SettingChecks.atLeast("max-connections-per-peer", maxConnectionsPerPeer, 1);
            SettingChecks.atLeast("max-total-connections", maxTotalConnections, 1);
            SettingChecks.positive("connection-timeout", connectionTimeout);
            SettingChecks.positive("idle-timeout", idleTimeout);
            SettingChecks.positive("health-check-interval", healthCheckInterval);
            SettingChecks.atLeast("max-retry-attempts", maxRetryAttempts, 0);
            SettingChecks.positive("initial-retry-backoff", initialRetryBackoff);
            if (!Double.isFinite(backoffMultiplier) || backoffMultiplier < 1.0) {
                throw new InvalidSettingException("backoff-multiplier",
                        "backoff-multiplier must be a finite number >= 1.0, was " + backoffMultiplier);
            }
            if (!(circuitBreakerThreshold > 0.0 && circuitBreakerThreshold <= 1.0)) {
                throw new InvalidSettingException("circuit-breaker-threshold", "circuit-breaker-threshold must be > 0 and <= 1 (0.5 means 5 "
                        + "consecutive failures; set circuit-breaker.failure-threshold for a larger count), was "
                        + circuitBreakerThreshold);
            }
            SettingChecks.notNegative("acquire-timeout", acquireTimeout);
            if (acquireDeadline != null) {
                SettingChecks.positive("acquire-deadline", acquireDeadline);
                if (acquireDeadline.compareTo(acquireTimeout) < 0) {
                    throw new InvalidSettingException("acquire-deadline", "acquire-deadline must be >= "
                            + "acquire-timeout (" + acquireTimeout + "), was " + acquireDeadline);
                }
            }
            SettingChecks.notNegative("max-lifetime", maxLifetime);
            SettingChecks.notNegative("leak-detection-threshold", leakDetectionThreshold);
            if (circuitBreakerOpenTimeout != null) {
                SettingChecks.positive("circuit-breaker.open-timeout", circuitBreakerOpenTimeout);
            }
            SettingChecks.atLeast("circuit-breaker.failure-threshold", circuitBreakerFailureThreshold, 0);
            SettingChecks.positive("ping-timeout", pingTimeout);
            SettingChecks.positive("latency-budget", latencyBudget);
            SettingChecks.atLeast("event-buffer-size", eventBufferSize, 1);
            if (maxRetryBackoff != null) {
                SettingChecks.positive("max-retry-backoff", maxRetryBackoff);
                if (maxRetryBackoff.compareTo(initialRetryBackoff) < 0) {
                    throw new InvalidSettingException("max-retry-backoff", "max-retry-backoff must be >= initial-retry-backoff ("
                            + initialRetryBackoff + "), was " + maxRetryBackoff);
                }
            }
            Objects.requireNonNull(protocol, "protocol must not be null");
            if (transport == null) {
                throw new InvalidSettingException("transport", "transport must be LIBP2P or GUARDIAN, was null");
            }
            checkProtocolId("default-protocol", defaultProtocol);
            SettingChecks.atLeast("max-streams-per-connection", maxStreamsPerConnection, 1);
            if (maxStreamsPerConnection > 1000) {
                throw new InvalidSettingException("max-streams-per-connection", "max-streams-per-connection must be "
                        + "<= 1000 (the streams yamux lets one side open on a connection), was "
                        + maxStreamsPerConnection);
            }
            checkedReusableStreamProtocols = reusableProtocols(reusableStreamProtocols);
            if (connectionManager == null) {
                throw new InvalidSettingException("connection-manager", "connection-manager must not be null "
                        + "(use ConnectionManagerConfig.OFF)");
            }
            if (connectionManager.highWatermark() > maxTotalConnections) {
                throw new InvalidSettingException("connection-manager.high-watermark", "connection-manager"
                        + ".high-watermark must be <= max-total-connections (" + maxTotalConnections + "), was "
                        + connectionManager.highWatermark() + "; lower it, or raise max-total-connections");
            }
            PoolConfig config = new PoolConfig(this);
            if (circuitBreakerMaxOpenTimeout != null) {
                SettingChecks.positive("circuit-breaker.max-open-timeout", circuitBreakerMaxOpenTimeout);
                if (circuitBreakerMaxOpenTimeout.compareTo(config.circuitBreakerOpenTimeout) < 0) {
                    throw new InvalidSettingException("circuit-breaker.max-open-timeout", "circuit-breaker.max-open-timeout must be >= "
                            + "circuit-breaker.open-timeout (" + config.circuitBreakerOpenTimeout + "), was "
                            + circuitBreakerMaxOpenTimeout);
                }
            }
            return config;
        }

        private static Set<String> reusableProtocols(List<String> ids) {
            if (ids == null) {
                throw new InvalidSettingException("reusable-stream-protocols", "reusable-stream-protocols must not "
                        + "be null (use an empty collection for a stream per lease)");
            }
            Set<String> checked = new LinkedHashSet<>();
            for (String id : ids) {
                checkProtocolId("reusable-stream-protocols", id);
                checked.add(id);
            }
            return Collections.unmodifiableSet(checked);
        }

        /**
         * Checks a protocol id as multistream-select carries it: starts with '/', printable ASCII
         * without spaces, and short enough for one negotiation message.
         *
         * @param setting the setting or parameter named in the error
         * @param id the protocol id
         * @throws InvalidSettingException if it is not one
         */
        public static void checkProtocolId(String setting, String id) {
            if (id == null || id.isEmpty() || id.charAt(0) != '/') {
                throw new InvalidSettingException(setting, setting + " must be a protocol id starting with '/', "
                        + "e.g. /guardian-pool/request/1.0.0, was " + (id == null ? "null" : "\"" + id + "\""));
            }
            if (id.length() > MAX_PROTOCOL_ID_BYTES) {
                throw new InvalidSettingException(setting, setting + " must be at most " + MAX_PROTOCOL_ID_BYTES
                        + " characters, was " + id.length());
            }
            for (int i = 0; i < id.length(); i++) {
                char ch = id.charAt(i);
                if (ch <= ' ' || ch >= 0x7f) {
                    throw new InvalidSettingException(setting, setting + " must be printable ASCII without spaces "
                            + "(character " + i + " is U+" + String.format("%04X", (int) ch) + "), was \"" + id + "\"");
                }
            }
        }
    }
}
