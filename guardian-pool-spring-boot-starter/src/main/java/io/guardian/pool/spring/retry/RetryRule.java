package io.guardian.pool.spring.retry;

import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.RequestTimeoutException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The one rule of every retry bean: retry what the failure, or the first
 * {@link GuardianPoolException} among its causes, says is retryable. Kept free of spring-retry's
 * types, so the core retry beans work in applications without spring-retry.
 */
final class RetryRule {

    private RetryRule() {
    }

    static boolean isRetryable(Throwable failure, boolean retryRequestTimeouts) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable t = failure; t != null && seen.put(t, Boolean.TRUE) == null; t = t.getCause()) {
            if (t instanceof GuardianPoolException e) {
                return e.retryable() || (retryRequestTimeouts && e instanceof RequestTimeoutException);
            }
        }
        return false;
    }
}
