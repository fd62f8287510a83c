package io.guardian.pool;

/**
 * The calling thread was interrupted while it waited in the pool: for a connection in
 * {@code acquire}, or for a message in {@code receive} or {@code request}. The thread's interrupt
 * flag is set again before this is thrown.
 *
 * <p>An interrupt is the caller's own decision, so it is <b>not retryable</b> and never counted
 * against the peer (its circuit breaker and failure statistics are untouched). A connection whose
 * {@code receive} was interrupted is not lent to anyone again (a reply may still be on its way); it
 * is closed when its lease is closed.
 */
public class PoolInterruptedException extends GuardianPoolException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what the thread was waiting for, and for which peer
     * @param cause the underlying {@link InterruptedException}, or the transport's report of it
     */
    public PoolInterruptedException(String message, Throwable cause) {
        super(message, cause);
    }
}
