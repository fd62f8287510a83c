package io.guardian.pool.spring;

import io.guardian.pool.ConnectionManagerConfig;
import io.guardian.pool.InvalidSettingException;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.PeerId;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.springframework.util.unit.DataSize;

/**
 * Turns {@link GuardianPoolProperties} and the {@link GuardianPoolCustomizer}s into a
 * {@link PoolConfig}. Only properties that are set reach the builder, so core's defaults stay
 * the only defaults. Core validates; this class only translates core's setting names (the
 * first word of its messages) into property names, so a bad value stops start-up with
 * {@code guardian.pool.<property>} in the message. Not API.
 */
final class PoolConfigFactory {

    private static final String PREFIX = "guardian.pool.";

    /** Core's setting names (the first word of its messages) and the properties that carry them. */
    private static final Map<String, String> SETTINGS = settings();

    private final GuardianPoolProperties properties;
    private final Set<String> bound = new LinkedHashSet<>();

    private PoolConfigFactory(GuardianPoolProperties properties) {
        this.properties = properties;
    }

    /**
     * Builds the configuration: the properties that are set, then each customizer in order.
     *
     * @throws GuardianPoolPropertyException if core rejects a value; it names the property
     */
    static PoolConfig create(GuardianPoolProperties properties, Stream<GuardianPoolCustomizer> customizers) {
        PoolConfigFactory factory = new PoolConfigFactory(properties);
        PoolConfig.Builder builder = PoolConfig.builder();
        factory.applyProperties(builder);
        customizers.forEach(c -> c.customize(builder));
        try {
            return builder.build();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw factory.translate(e);
        }
    }

    private void applyProperties(PoolConfig.Builder b) {
        GuardianPoolProperties p = properties;
        set("max-connections-per-peer", p.maxConnectionsPerPeer(), b::maxConnectionsPerPeer);
        set("max-total-connections", p.maxTotalConnections(), b::maxTotalConnections);
        set("connection-timeout", p.connectionTimeout(), b::connectionTimeout);
        set("idle-timeout", p.idleTimeout(), b::idleTimeout);
        set("health-check-interval", p.healthCheckInterval(), b::healthCheckInterval);
        set("max-retry-attempts", p.maxRetryAttempts(), b::maxRetryAttempts);
        set("initial-retry-backoff", p.initialRetryBackoff(), b::initialRetryBackoff);
        set("backoff-multiplier", p.backoffMultiplier(), b::backoffMultiplier);
        set("circuit-breaker-threshold", p.circuitBreakerThreshold(), b::circuitBreakerThreshold);
        set("enable-intelligent-load-balancing", p.enableIntelligentLoadBalancing(),
                b::enableIntelligentLoadBalancing);
        set("acquire-timeout", p.acquireTimeout(), b::acquireTimeout);
        set("acquire-deadline", p.acquireDeadline(), b::acquireDeadline);
        set("max-lifetime", p.maxLifetime(), b::maxLifetime);
        set("leak-detection-threshold", p.leakDetectionThreshold(), b::leakDetectionThreshold);
        set("ping-timeout", p.pingTimeout(), b::pingTimeout);
        set("latency-budget", p.latencyBudget(), b::latencyBudget);
        set("event-buffer-size", p.eventBufferSize(), b::eventBufferSize);
        set("max-retry-backoff", p.maxRetryBackoff(), b::maxRetryBackoff);
        set("transport", p.transport(), b::transport);
        set("default-protocol", p.defaultProtocol(), b::defaultProtocol);
        set("max-streams-per-connection", p.maxStreamsPerConnection(), b::maxStreamsPerConnection);
        set("reusable-stream-protocols", p.reusableStreamProtocols(), b::reusableStreamProtocols);
        GuardianPoolProperties.ConnectionManager cm = p.connectionManager();
        if (cm.lowWatermark() != null || cm.highWatermark() != null || cm.gracePeriod() != null) {
            ConnectionManagerConfig off = ConnectionManagerConfig.OFF;
            set("connection-manager.high-watermark", cm.highWatermark(), v -> { });
            set("connection-manager.low-watermark", cm.lowWatermark(), v -> { });
            set("connection-manager.grace-period", cm.gracePeriod(), v -> { });
            try {
                b.connectionManager(new ConnectionManagerConfig(
                        cm.lowWatermark() != null ? cm.lowWatermark() : off.lowWatermark(),
                        cm.highWatermark() != null ? cm.highWatermark() : off.highWatermark(),
                        cm.gracePeriod() != null ? cm.gracePeriod() : off.gracePeriod()));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw translate(e);
            }
        }
        GuardianPoolProperties.CircuitBreaker cb = p.circuitBreaker();
        set("circuit-breaker.open-timeout", cb.openTimeout(), b::circuitBreakerOpenTimeout);
        set("circuit-breaker.failure-threshold", cb.failureThreshold(), b::circuitBreakerFailureThreshold);
        set("circuit-breaker.max-open-timeout", cb.maxOpenTimeout(), b::circuitBreakerMaxOpenTimeout);
        ProtocolConfig protocol = protocol(p.handshake());
        if (protocol != null) {
            b.protocol(protocol);
        }
    }

    /** The handshake settings, or {@code null} when none is set (the builder keeps its default). */
    private ProtocolConfig protocol(GuardianPoolProperties.Handshake h) {
        ProtocolConfig.Builder pb = ProtocolConfig.builder();
        int before = bound.size();
        set("handshake.protocol-version", h.protocolVersion(), v -> pb.version(version(v)));
        set("handshake.max-clock-skew", h.maxClockSkew(), pb::maxClockSkew);
        set("handshake.accept-plain", h.acceptPlain(), pb::acceptPlainHandshake);
        set("handshake.allowed-peers", h.allowedPeers(), v -> pb.allowedPeers(peerIds(v)));
        set("handshake.max-frame-size", h.maxFrameSize(), v -> pb.maxFrameSize(frameSize(v)));
        set("handshake.timeout", h.timeout(), pb::handshakeTimeout);
        set("handshake.ping-answers-per-second", h.pingAnswersPerSecond(), pb::pingAnswersPerSecond);
        if (bound.size() == before) {
            return null;
        }
        try {
            return pb.build();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw translate(e);
        }
    }

    private <T> void set(String property, T value, Consumer<T> setter) {
        if (value != null) {
            bound.add(property);
            setter.accept(value);
        }
    }

    private static ProtocolVersion version(String text) {
        String v = text.trim().toLowerCase(Locale.ROOT);
        for (ProtocolVersion version : ProtocolVersion.values()) {
            if (version.wireName().equals(v) || version.wireName().endsWith("/" + v)) {
                return version;
            }
        }
        throw new GuardianPoolPropertyException(PREFIX + "handshake.protocol-version", PREFIX
                + "handshake.protocol-version must be 1.1 or 1.0 (guardian-db/1.1 or guardian-db/1.0), was '"
                + text + "'");
    }

    private static Set<PeerId> peerIds(List<String> texts) {
        Set<PeerId> ids = new LinkedHashSet<>();
        for (String text : texts) {
            try {
                ids.add(PeerId.parse(text.trim()));
            } catch (IllegalArgumentException e) {
                throw new GuardianPoolPropertyException(PREFIX + "handshake.allowed-peers", PREFIX
                        + "handshake.allowed-peers holds '" + text + "', which is not a PeerId: " + e.getMessage(), e);
            }
        }
        return ids;
    }

    private static int frameSize(DataSize size) {
        long bytes = size.toBytes();
        if (bytes < 1 || bytes > ProtocolConfig.MAX_FRAME_SIZE_LIMIT) {
            throw new GuardianPoolPropertyException(PREFIX + "handshake.max-frame-size", PREFIX
                    + "handshake.max-frame-size must be between 1 and " + ProtocolConfig.MAX_FRAME_SIZE_LIMIT
                    + " bytes, was " + size);
        }
        return (int) bytes;
    }

    /**
     * Core names the setting in its {@link InvalidSettingException} ({@code setting()}, also the
     * first word of its message: "max-connections-per-peer must be >= 1, was -1"); put the
     * property name in its place and say where the value came from. A {@code null} setter
     * argument (a {@link NullPointerException}) names the setting first in its message only.
     */
    private GuardianPoolPropertyException translate(RuntimeException e) {
        if (e instanceof GuardianPoolPropertyException gpe) {
            return gpe;
        }
        String message = String.valueOf(e.getMessage());
        String setting;
        if (e instanceof InvalidSettingException invalid) {
            setting = invalid.setting();
        } else {
            int space = message.indexOf(' ');
            setting = space < 0 ? message : message.substring(0, space);
        }
        String name = SETTINGS.get(setting);
        if (name == null) {
            return new GuardianPoolPropertyException("guardian.pool", "Invalid Guardian Pool configuration: " + message, e);
        }
        String property = PREFIX + name;
        String source = bound.contains(name) ? ""
                : " (" + property + " is not set: a GuardianPoolCustomizer bean set this value)";
        String rest = message.startsWith(setting) ? message.substring(setting.length()) : ": " + message;
        return new GuardianPoolPropertyException(property, property + rest + source, e);
    }

    private static Map<String, String> settings() {
        Map<String, String> byName = new HashMap<>();
        Stream.of("max-connections-per-peer", "max-total-connections", "connection-timeout", "idle-timeout",
                "health-check-interval", "max-retry-attempts", "initial-retry-backoff", "backoff-multiplier",
                "circuit-breaker-threshold", "enable-intelligent-load-balancing", "acquire-timeout",
                "acquire-deadline", "max-lifetime",
                "leak-detection-threshold", "circuit-breaker.open-timeout", "circuit-breaker.failure-threshold",
                "circuit-breaker.max-open-timeout", "ping-timeout", "latency-budget", "event-buffer-size",
                "max-retry-backoff", "transport", "default-protocol", "max-streams-per-connection",
                "reusable-stream-protocols",
                "connection-manager.low-watermark", "connection-manager.high-watermark",
                "connection-manager.grace-period").forEach(name -> byName.put(name, name));
        byName.put("max-clock-skew", "handshake.max-clock-skew");
        byName.put("handshake-timeout", "handshake.timeout");
        byName.put("max-frame-size", "handshake.max-frame-size");
        byName.put("allowed-peers", "handshake.allowed-peers");
        byName.put("ping-answers-per-second", "handshake.ping-answers-per-second");
        return Map.copyOf(byName);
    }
}
