package io.guardian.pool.spring.retry;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.resilience.annotation.Retryable;

/**
 * Retries the annotated method (or every method of the annotated class) as the pool retries a
 * dial, for applications that switched on Spring Framework 7's {@code @EnableResilientMethods}:
 * only failures that are safe to retry ({@link GuardianPoolRetryPolicy.Predicate}), at most
 * {@code guardian.pool.max-retry-attempts} times (default 3), waiting
 * {@code guardian.pool.initial-retry-backoff} (default 1 s) times {@code backoff-multiplier}
 * (default 2) per retry, up to {@code max-retry-backoff} (default 30 s). The waits are read as
 * Spring durations (e.g. {@code 250ms}, {@code 1s}).
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Retryable(predicate = GuardianPoolRetryPolicy.Predicate.class,
        maxRetriesString = "${guardian.pool.max-retry-attempts:3}",
        delayString = "${guardian.pool.initial-retry-backoff:1000ms}",
        multiplierString = "${guardian.pool.backoff-multiplier:2.0}",
        maxDelayString = "${guardian.pool.max-retry-backoff:30s}")
public @interface GuardianPoolRetryable {
}
