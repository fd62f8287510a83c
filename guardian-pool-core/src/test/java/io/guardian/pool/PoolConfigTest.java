package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.net.ProtocolConfig;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class PoolConfigTest {

    @Test
    void defaultsAreTheOriginalTenPlusTheAdditions() {
        PoolConfig c = PoolConfig.defaults();
        assertThat(c.maxConnectionsPerPeer()).isEqualTo(8);
        assertThat(c.maxTotalConnections()).isEqualTo(1000);
        assertThat(c.connectionTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.idleTimeout()).isEqualTo(Duration.ofSeconds(300));
        assertThat(c.healthCheckInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.maxRetryAttempts()).isEqualTo(3);
        assertThat(c.initialRetryBackoff()).isEqualTo(Duration.ofMillis(1000));
        assertThat(c.backoffMultiplier()).isEqualTo(2.0);
        assertThat(c.circuitBreakerThreshold()).isEqualTo(0.5);
        assertThat(c.enableIntelligentLoadBalancing()).isTrue();

        assertThat(c.acquireTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.maxLifetime()).isZero();
        assertThat(c.leakDetectionThreshold()).isZero();
        assertThat(c.circuitBreakerOpenTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.circuitBreakerFailureThreshold()).isZero();
        assertThat(c.circuitBreakerMaxOpenTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.pingTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.latencyBudget()).isEqualTo(Duration.ofMillis(100));
        assertThat(c.eventBufferSize()).isEqualTo(1024);
        assertThat(c.maxRetryBackoff()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.protocol()).isEqualTo(ProtocolConfig.defaults());
        assertThat(c).isEqualTo(PoolConfig.builder().build()).hasSameHashCodeAs(PoolConfig.builder().build());
    }

    @Test
    void maxFrameSizeIsCappedAt16MiBWithAMessageNamingTheSetting() {
        assertThat(ProtocolConfig.builder().maxFrameSize(16 << 20).build().maxFrameSize()).isEqualTo(16 << 20);
        for (int tooLarge : new int[] {(16 << 20) + 1, 1 << 30, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> ProtocolConfig.builder().maxFrameSize(tooLarge).build())
                    .isInstanceOfSatisfying(InvalidSettingException.class,
                            e -> assertThat(e.setting()).isEqualTo("max-frame-size"))
                    .hasMessageContaining("max-frame-size must be between 1 and 16777216 bytes")
                    .hasMessageContaining("was " + tooLarge);
        }
        assertThatThrownBy(() -> ProtocolConfig.builder().maxFrameSize(0).build())
                .hasMessageContaining("max-frame-size");
    }

    @Test
    void failureThresholdFollowsTheOriginalMappingUnlessOverridden() {
        assertThat(PoolConfig.builder().circuitBreakerThreshold(0.5).build().effectiveFailureThreshold()).isEqualTo(5);
        assertThat(PoolConfig.builder().circuitBreakerThreshold(0.3).build().effectiveFailureThreshold()).isEqualTo(3);
        assertThat(PoolConfig.builder().circuitBreakerThreshold(0.05).build().effectiveFailureThreshold()).isEqualTo(1);
        assertThat(PoolConfig.builder().circuitBreakerThreshold(1.0).build().effectiveFailureThreshold()).isEqualTo(10);
        assertThat(PoolConfig.builder().circuitBreakerFailureThreshold(12).build().effectiveFailureThreshold())
                .isEqualTo(12);
    }

    @Test
    void derivedDefaultsFollowTheInitialBackoff() {
        PoolConfig c = PoolConfig.builder().initialRetryBackoff(Duration.ofMinutes(1)).build();
        assertThat(c.circuitBreakerOpenTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.circuitBreakerMaxOpenTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.maxRetryBackoff()).isEqualTo(Duration.ofMinutes(1));
        PoolConfig slow = PoolConfig.builder().initialRetryBackoff(Duration.ofMinutes(2)).build();
        assertThat(slow.circuitBreakerMaxOpenTimeout()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void toBuilderRoundTrips() {
        PoolConfig c = PoolConfig.builder().maxConnectionsPerPeer(3).leakDetectionThreshold(Duration.ofSeconds(9))
                .enableIntelligentLoadBalancing(false).build();
        assertThat(c.toBuilder().build()).isEqualTo(c);
        assertThat(c.toString()).contains("max-connections-per-peer=3").contains("leak-detection-threshold=PT9S");
    }

    @Test
    void everyOutOfRangeSettingIsNamedInKebabCaseWithItsValue() {
        rejects(b -> b.maxConnectionsPerPeer(0), "max-connections-per-peer must be >= 1, was 0");
        rejects(b -> b.maxTotalConnections(-1), "max-total-connections must be >= 1, was -1");
        rejects(b -> b.connectionTimeout(Duration.ZERO), "connection-timeout must be positive, was PT0S");
        rejects(b -> b.idleTimeout(Duration.ofSeconds(-1)), "idle-timeout must be positive");
        rejects(b -> b.healthCheckInterval(Duration.ZERO), "health-check-interval must be positive");
        rejects(b -> b.maxRetryAttempts(-1), "max-retry-attempts must be >= 0, was -1");
        rejects(b -> b.initialRetryBackoff(Duration.ZERO), "initial-retry-backoff must be positive");
        rejects(b -> b.backoffMultiplier(0.5), "backoff-multiplier must be a finite number >= 1.0, was 0.5");
        rejects(b -> b.backoffMultiplier(Double.NaN), "backoff-multiplier");
        rejects(b -> b.circuitBreakerThreshold(0.0), "circuit-breaker-threshold must be > 0 and <= 1");
        rejects(b -> b.circuitBreakerThreshold(1.5), "circuit-breaker.failure-threshold");
        rejects(b -> b.acquireTimeout(Duration.ofMillis(-1)), "acquire-timeout must be >= 0");
        rejects(b -> b.maxLifetime(Duration.ofMillis(-1)), "max-lifetime must be >= 0");
        rejects(b -> b.leakDetectionThreshold(Duration.ofMillis(-1)), "leak-detection-threshold must be >= 0");
        rejects(b -> b.circuitBreakerOpenTimeout(Duration.ZERO), "circuit-breaker.open-timeout must be positive");
        rejects(b -> b.circuitBreakerFailureThreshold(-2), "circuit-breaker.failure-threshold must be >= 0, was -2");
        rejects(b -> b.circuitBreakerOpenTimeout(Duration.ofMinutes(2))
                .circuitBreakerMaxOpenTimeout(Duration.ofMinutes(1)),
                "circuit-breaker.max-open-timeout must be >= circuit-breaker.open-timeout (PT2M), was PT1M");
        rejects(b -> b.pingTimeout(Duration.ZERO), "ping-timeout must be positive");
        rejects(b -> b.latencyBudget(Duration.ZERO), "latency-budget must be positive");
        rejects(b -> b.eventBufferSize(0), "event-buffer-size must be >= 1, was 0");
        rejects(b -> b.maxRetryBackoff(Duration.ofMillis(10)), "max-retry-backoff must be >= initial-retry-backoff");
        assertThatThrownBy(() -> PoolConfig.builder().idleTimeout(null).build())
                .isInstanceOf(NullPointerException.class).hasMessageContaining("idle-timeout");
        assertThatThrownBy(() -> PoolConfig.builder().protocol(null).build())
                .isInstanceOf(NullPointerException.class).hasMessageContaining("protocol");
    }

    private static void rejects(UnaryOperator<PoolConfig.Builder> change, String message) {
        assertThatThrownBy(() -> change.apply(PoolConfig.builder()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }
}
