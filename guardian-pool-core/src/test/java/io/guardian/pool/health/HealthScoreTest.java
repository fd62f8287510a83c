package io.guardian.pool.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class HealthScoreTest {

    private static final Duration BUDGET = Duration.ofMillis(100);

    @Test
    void weightsAreTheOriginalOnesAndSumToOne() {
        assertThat(HealthScore.CONNECTIVITY_WEIGHT + HealthScore.LATENCY_WEIGHT + HealthScore.AGE_WEIGHT
                + HealthScore.USAGE_WEIGHT + HealthScore.OPERATIONS_WEIGHT).isCloseTo(1.0, within(1e-12));
        assertThat(new HealthScore(1, 1, 1, 1, 1).value()).isCloseTo(1.0, within(1e-12));
        assertThat(new HealthScore(0, 0, 0, 0, 0).value()).isZero();
    }

    @Test
    void connectivityScalesThePingAgainstTheBudgetAndTheLoss() {
        assertThat(HealthScore.connectivityScore(true, 0, 0, BUDGET)).isEqualTo(1.0);
        assertThat(HealthScore.connectivityScore(true, 25, 0, BUDGET)).isEqualTo(0.75);
        assertThat(HealthScore.connectivityScore(true, 25, 0.2, BUDGET)).isCloseTo(0.6, within(1e-12));
        assertThat(HealthScore.connectivityScore(true, 100, 0, BUDGET)).isZero();
        assertThat(HealthScore.connectivityScore(true, 500, 0, BUDGET)).isZero();
        assertThat(HealthScore.connectivityScore(false, 1, 0, BUDGET)).isZero();
        assertThat(HealthScore.connectivityScore(true, 100, 0, Duration.ofMillis(200))).isEqualTo(0.5);
    }

    @Test
    void ageUsageAndOperationsUseTheOriginalBreakpoints() {
        assertThat(HealthScore.ageScore(Duration.ofSeconds(3599))).isEqualTo(1.0);
        assertThat(HealthScore.ageScore(Duration.ofSeconds(3600))).isEqualTo(0.8);
        assertThat(HealthScore.ageScore(Duration.ofSeconds(7199))).isEqualTo(0.8);
        assertThat(HealthScore.ageScore(Duration.ofSeconds(7200))).isEqualTo(0.5);
        assertThat(HealthScore.usageScore(Duration.ofSeconds(59))).isEqualTo(1.0);
        assertThat(HealthScore.usageScore(Duration.ofSeconds(60))).isEqualTo(0.8);
        assertThat(HealthScore.usageScore(Duration.ofSeconds(299))).isEqualTo(0.8);
        assertThat(HealthScore.usageScore(Duration.ofSeconds(300))).isEqualTo(0.5);
        assertThat(HealthScore.operationsScore(10)).isEqualTo(0.6);
        assertThat(HealthScore.operationsScore(11)).isEqualTo(0.8);
        assertThat(HealthScore.operationsScore(100)).isEqualTo(0.8);
        assertThat(HealthScore.operationsScore(101)).isEqualTo(1.0);
    }

    @Test
    void aSlowPeerScoresBelowTheDegradedLineAndAFastOneAbove() {
        HealthScore slow = HealthScore.compute(true, 150, 0, 150, Duration.ofMinutes(1), Duration.ZERO, 0, BUDGET);
        HealthScore fast = HealthScore.compute(true, 1, 0, 1, Duration.ofMinutes(1), Duration.ZERO, 0, BUDGET);
        assertThat(slow.value()).isCloseTo(0.15 + 0.15 + 0.03, within(1e-12));
        assertThat(slow.degraded()).isTrue();
        assertThat(fast.value()).isCloseTo(0.4 * 0.99 + 0.25 * 0.99 + 0.33, within(1e-12));
        assertThat(fast.degraded()).isFalse();
    }

    @Test
    void measurementsOutOfRangeAreRejected() {
        assertThatThrownBy(() -> HealthScore.connectivityScore(true, 1, 1.5, BUDGET))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lossRate");
        assertThatThrownBy(() -> HealthScore.latencyScore(Double.NaN, BUDGET))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("avgLatencyMs");
        assertThatThrownBy(() -> HealthScore.latencyScore(1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("latencyBudget");
        assertThatThrownBy(() -> HealthScore.ageScore(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HealthScore.operationsScore(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
