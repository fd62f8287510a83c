package io.guardian.pool.spring.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.CircuitBreakerOpenException;
import io.guardian.pool.ConnectionFailedException;
import io.guardian.pool.DialTimeoutException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.HandshakeException;
import io.guardian.pool.PoolClosedException;
import io.guardian.pool.PoolExhaustedException;
import io.guardian.pool.PoolInterruptedException;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The bucket boundaries and failure reasons of {@link PoolTimers}, without a pool. */
class PoolTimersTest {

    @Test
    void bucketBoundariesStepOneTwoAndAHalfFivePerDecadeUpToTheBound() {
        assertThat(PoolTimers.buckets(Duration.ofMillis(1), Duration.ofMinutes(1))).containsExactly(
                Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10),
                Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
                Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
                Duration.ofSeconds(10), Duration.ofSeconds(25), Duration.ofSeconds(50), Duration.ofMinutes(1));
    }

    @Test
    void aBoundOnAStepIsNotRepeatedAndABoundBelowTheStartIsTheOnlyBoundary() {
        assertThat(PoolTimers.buckets(Duration.ofMillis(1), Duration.ofMillis(5)))
                .containsExactly(Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5));
        assertThat(PoolTimers.buckets(Duration.ofMillis(1), Duration.ofNanos(500_000)))
                .containsExactly(Duration.ofNanos(500_000));
    }

    @Test
    void theDefaultRangesStayFarBelowTheOldPercentileHistograms() {
        // Micrometer's percentile histogram had 66 buckets from 1 ms to 30 s for each timer.
        assertThat(PoolTimers.buckets(PoolTimers.ACQUIRE_FROM, Duration.ofSeconds(30))).hasSize(24);
        assertThat(PoolTimers.buckets(PoolTimers.CONNECT_FROM, Duration.ofSeconds(10))).hasSize(16);
        assertThat(PoolTimers.buckets(PoolTimers.USAGE_FROM, PoolTimers.USAGE_TO)).hasSize(16);
    }

    @Test
    void everyFailureTypeHasItsReasonTheMostSpecificFirst() {
        assertThat(PoolTimers.reason(new CircuitBreakerOpenException(PeerIdentity.generate().peerId(), "open")))
                .isEqualTo("circuit_open");
        assertThat(PoolTimers.reason(new PoolExhaustedException("full"))).isEqualTo("exhausted");
        assertThat(PoolTimers.reason(new DialTimeoutException("slow"))).isEqualTo("dial_timeout");
        assertThat(PoolTimers.reason(new HandshakeException(HandshakeException.Reason.values()[0], "bad")))
                .isEqualTo("handshake");
        assertThat(PoolTimers.reason(new ConnectionFailedException("refused"))).isEqualTo("dial_failed");
        assertThat(PoolTimers.reason(new PoolClosedException("closed"))).isEqualTo("pool_closed");
        assertThat(PoolTimers.reason(new PoolInterruptedException("stop", new InterruptedException())))
                .isEqualTo("interrupted");
        assertThat(PoolTimers.reason(new GuardianPoolException("?"))).isEqualTo(PoolTimers.OTHER);
    }
}
