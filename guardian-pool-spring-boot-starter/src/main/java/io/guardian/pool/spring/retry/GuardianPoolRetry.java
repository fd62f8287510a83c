package io.guardian.pool.spring.retry;

import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.RequestTimeoutException;
import org.springframework.retry.backoff.BackOffPolicy;
import org.springframework.retry.backoff.ExponentialBackOffPolicy;
import org.springframework.retry.backoff.FixedBackOffPolicy;
import org.springframework.retry.support.RetryTemplate;

/**
 * Builds the {@code guardianPoolRetryTemplate}: spring-retry around application calls through
 * the pool (a request that failed because its connection closed, a peer that timed out), with
 * the pool's own retry settings. The pool already retries failed dials inside one acquire; this
 * template retries the caller's whole unit of work. It follows each failure's
 * {@code retryable()}: a dial timeout is retried; a request timeout (the peer may have acted on
 * it) and an interrupt are not, unless {@code guardian.pool.retry.retry-request-timeouts} allows
 * request timeouts.
 */
public final class GuardianPoolRetry {

    private GuardianPoolRetry() {
    }

    /**
     * A template that makes at most {@code max-retry-attempts + 1} attempts, waiting
     * {@code initial-retry-backoff × backoff-multiplier^n} between them, capped at
     * {@code max-retry-backoff}, and retries only {@link #isRetryable retryable} failures.
     *
     * @param config the pool's effective configuration
     * @return a new template
     */
    public static RetryTemplate template(PoolConfig config) {
        return template(config, false);
    }

    /**
     * Like {@link #template(PoolConfig)}, optionally retrying request timeouts too.
     *
     * @param config the pool's effective configuration
     * @param retryRequestTimeouts whether a {@link RequestTimeoutException} is retried (only for
     *     idempotent requests: the peer may already have acted on the first one)
     * @return a new template
     */
    public static RetryTemplate template(PoolConfig config, boolean retryRequestTimeouts) {
        // spring-retry sleeps in whole milliseconds and warns about a multiplier of 1: a
        // sub-millisecond backoff waits 1 ms, and a multiplier of 1 is the fixed backoff it means.
        long initial = Math.max(1, config.initialRetryBackoff().toMillis());
        BackOffPolicy backOff;
        if (config.backoffMultiplier() > 1.0) {
            ExponentialBackOffPolicy exponential = new ExponentialBackOffPolicy();
            exponential.setInitialInterval(initial);
            exponential.setMultiplier(config.backoffMultiplier());
            exponential.setMaxInterval(Math.max(initial, config.maxRetryBackoff().toMillis()));
            backOff = exponential;
        } else {
            FixedBackOffPolicy fixed = new FixedBackOffPolicy();
            fixed.setBackOffPeriod(initial);
            backOff = fixed;
        }
        return RetryTemplate.builder()
                .maxAttempts(config.maxRetryAttempts() + 1)
                .customBackoff(backOff)
                .retryOn(t -> isRetryable(t, retryRequestTimeouts))
                .build();
    }

    /**
     * Whether trying again may help: the failure, or the first {@link GuardianPoolException} among
     * its causes (applications often wrap it), says {@link GuardianPoolException#retryable()}.
     * Any other failure, a protocol violation or a closed pool among them, is not retried.
     *
     * @param failure what the attempt threw
     * @return {@code true} to retry
     */
    public static boolean isRetryable(Throwable failure) {
        return isRetryable(failure, false);
    }

    /**
     * Like {@link #isRetryable(Throwable)}, optionally counting request timeouts as retryable.
     * Interrupts ({@link io.guardian.pool.PoolInterruptedException}) are never retried.
     *
     * @param failure what the attempt threw
     * @param retryRequestTimeouts whether a {@link RequestTimeoutException} is retried
     * @return {@code true} to retry
     */
    public static boolean isRetryable(Throwable failure, boolean retryRequestTimeouts) {
        return RetryRule.isRetryable(failure, retryRequestTimeouts);
    }
}
