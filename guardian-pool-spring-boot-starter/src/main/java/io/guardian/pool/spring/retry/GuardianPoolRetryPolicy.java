package io.guardian.pool.spring.retry;

import io.guardian.pool.PoolConfig;
import java.lang.reflect.Method;
import java.time.Duration;
import org.springframework.core.retry.RetryPolicy;
import org.springframework.resilience.retry.MethodRetryPredicate;

/**
 * Spring Framework 7's own retry (org.springframework.core.retry), set up from the pool's retry
 * settings, beside the spring-retry template of {@link GuardianPoolRetry}. It retries what is safe
 * to retry: failures whose {@code retryable()} says so (dial failures and timeouts, a full pool, an
 * open breaker after its wait), found on the failure or among its causes; never a request timeout
 * (the peer may have acted on the request) unless {@code guardian.pool.retry.retry-request-timeouts}
 * allows it, never an interrupt, a protocol refusal or a closed pool.
 */
public final class GuardianPoolRetryPolicy {

    private GuardianPoolRetryPolicy() {
    }

    /**
     * A policy making at most {@code max-retry-attempts} retries, waiting
     * {@code initial-retry-backoff × backoff-multiplier^n} (capped at {@code max-retry-backoff}, with
     * a quarter of the initial wait as jitter) between them.
     *
     * @param config the pool's effective configuration
     * @param retryRequestTimeouts whether a request timeout is retried (only for idempotent work)
     * @return the policy, for {@code new org.springframework.core.retry.RetryTemplate(policy)}
     */
    public static RetryPolicy create(PoolConfig config, boolean retryRequestTimeouts) {
        Duration initial = config.initialRetryBackoff();
        return RetryPolicy.builder()
                .maxRetries(config.maxRetryAttempts())
                .delay(initial)
                .multiplier(config.backoffMultiplier())
                .maxDelay(config.maxRetryBackoff().compareTo(initial) < 0 ? initial : config.maxRetryBackoff())
                .jitter(initial.dividedBy(4))
                .predicate(t -> RetryRule.isRetryable(t, retryRequestTimeouts))
                .build();
    }

    /**
     * The same rule for {@code @Retryable} methods of applications that use
     * {@code @EnableResilientMethods}: {@code @Retryable(predicate = GuardianPoolRetryPolicy.Predicate.class)},
     * or {@link GuardianPoolRetryable}, which also takes the attempts and waits from the pool's
     * properties. Request timeouts are not retried.
     */
    public static final class Predicate implements MethodRetryPredicate {

        @Override
        public boolean shouldRetry(Method method, Throwable throwable) {
            return RetryRule.isRetryable(throwable, false);
        }
    }
}
