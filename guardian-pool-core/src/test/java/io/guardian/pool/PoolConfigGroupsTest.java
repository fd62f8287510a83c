package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.net.ProtocolConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The settings by group (limits, retry, breaker, health, handshake) mirror the flat ones both ways. */
class PoolConfigGroupsTest {

    private static final PoolConfig CUSTOM = PoolConfig.builder().maxConnectionsPerPeer(3).maxTotalConnections(40)
            .acquireTimeout(Duration.ofSeconds(2)).acquireDeadline(Duration.ofSeconds(9))
            .enableIntelligentLoadBalancing(false).connectionTimeout(Duration.ofSeconds(4)).maxRetryAttempts(5)
            .initialRetryBackoff(Duration.ofMillis(200)).backoffMultiplier(1.5).maxRetryBackoff(Duration.ofSeconds(7))
            .circuitBreakerThreshold(0.3).circuitBreakerOpenTimeout(Duration.ofSeconds(3))
            .circuitBreakerMaxOpenTimeout(Duration.ofMinutes(2)).healthCheckInterval(Duration.ofSeconds(11))
            .idleTimeout(Duration.ofMinutes(3)).maxLifetime(Duration.ofHours(1))
            .leakDetectionThreshold(Duration.ofSeconds(20)).pingTimeout(Duration.ofSeconds(2))
            .latencyBudget(Duration.ofMillis(250)).eventBufferSize(64)
            .protocol(ProtocolConfig.builder().handshakeTimeout(Duration.ofSeconds(3)).build()).build();

    @Test
    void eachGroupHoldsTheFlatValues() {
        assertThat(CUSTOM.limits()).isEqualTo(new PoolConfig.Limits(3, 40, Duration.ofSeconds(2),
                Duration.ofSeconds(9), false));
        assertThat(CUSTOM.retry()).isEqualTo(new PoolConfig.Retry(Duration.ofSeconds(4), 5, Duration.ofMillis(200),
                1.5, Duration.ofSeconds(7)));
        assertThat(CUSTOM.breaker()).isEqualTo(new PoolConfig.Breaker(0.3, 3, Duration.ofSeconds(3),
                Duration.ofMinutes(2)));
        assertThat(CUSTOM.health()).isEqualTo(new PoolConfig.Health(Duration.ofSeconds(11), Duration.ofMinutes(3),
                Duration.ofHours(1), Duration.ofSeconds(20), Duration.ofSeconds(2), Duration.ofMillis(250), 64));
        assertThat(CUSTOM.handshake()).isSameAs(CUSTOM.protocol());
    }

    @Test
    void settingTheGroupsRebuildsTheSameConfiguration() {
        PoolConfig rebuilt = PoolConfig.builder().limits(CUSTOM.limits()).retry(CUSTOM.retry())
                .breaker(CUSTOM.breaker()).health(CUSTOM.health()).handshake(CUSTOM.handshake()).build();
        assertThat(rebuilt.limits()).isEqualTo(CUSTOM.limits());
        assertThat(rebuilt.retry()).isEqualTo(CUSTOM.retry());
        assertThat(rebuilt.breaker()).isEqualTo(CUSTOM.breaker());
        assertThat(rebuilt.health()).isEqualTo(CUSTOM.health());
        assertThat(rebuilt.handshake()).isEqualTo(CUSTOM.handshake());
    }

    @Test
    void aBadValueSetThroughAGroupIsNamedLikeAFlatOne() {
        PoolConfig.Retry bad = new PoolConfig.Retry(Duration.ofSeconds(4), -1, Duration.ofMillis(200), 1.5,
                Duration.ofSeconds(7));
        assertThatThrownBy(() -> PoolConfig.builder().retry(bad).build()).isInstanceOf(InvalidSettingException.class)
                .satisfies(e -> assertThat(((InvalidSettingException) e).setting()).isEqualTo("max-retry-attempts"));
    }
}
