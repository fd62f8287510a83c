package io.guardian.pool.breaker;

import java.time.Instant;

/**
 * A read-only snapshot of one peer's circuit breaker, with the original's fields. Changing a
 * breaker goes through the pool ({@code recordFailure}, {@code recordSuccess},
 * {@code resetCircuitBreaker}), never through this view.
 *
 * @param state the state when the snapshot was taken (an open breaker whose timeout has passed
 *     shows as open until the next call or health pass moves it to half-open)
 * @param failureCount consecutive failures counted since the last success
 * @param failureThreshold consecutive failures that open it (F)
 * @param lastFailureTime when the last failure was recorded (wall clock), {@code null} if none
 * @param timeoutMs the current open wait in milliseconds: {@code circuit-breaker.open-timeout},
 *     longer after failed probes
 * @param successCount consecutive successes; three in half-open close it
 * @param nextProbeAt when an open breaker lets the next probe through (wall clock),
 *     {@code null} unless open
 */
public record CircuitBreakerView(
        CircuitState state,
        int failureCount,
        int failureThreshold,
        Instant lastFailureTime,
        long timeoutMs,
        int successCount,
        Instant nextProbeAt) {
}
