package io.guardian.pool;

/**
 * Base of every exception the pool throws. Unchecked, like the rest of the JDK's I/O-adjacent
 * APIs that callers usually cannot handle at the call site.
 *
 * <p>{@link #retryable()} tells retry machinery (the starter's {@code RetryTemplate}, an
 * application's own loop) whether trying the same call again may succeed: a timeout or a refused
 * dial may, a protocol violation or a closed pool will not.
 */
public class GuardianPoolException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message that says what went wrong and what to change.
     *
     * @param message the description shown to the user
     */
    public GuardianPoolException(String message) {
        super(message);
    }

    /**
     * Creates an exception caused by another.
     *
     * @param message the description shown to the user
     * @param cause the underlying failure
     */
    public GuardianPoolException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether the same call may succeed if tried again later.
     *
     * @return {@code false} here; subclasses for transient failures return {@code true}
     */
    public boolean retryable() {
        return false;
    }
}
