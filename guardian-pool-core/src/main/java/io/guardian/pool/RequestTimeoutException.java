package io.guardian.pool;

/**
 * A {@code receive} or {@code request} on a lease got no message within the caller's timeout.
 *
 * <p>Unlike a dial timeout ({@link DialTimeoutException}), the peer may have received the request
 * and acted on it: the reply is merely late. So this is <b>not retryable by default</b>
 * ({@link #retryable()} is {@code false}); an application whose requests are idempotent may retry
 * it itself (the Spring Boot starter's {@code guardian.pool.retry.retry-request-timeouts}).
 *
 * <p>The connection it happened on is never lent to anyone again: a late reply would otherwise
 * reach the next holder as the answer to their request. It is closed when the lease is closed.
 * Still a {@link ConnectionTimeoutException}, so existing handlers of that type keep catching it.
 */
public class RequestTimeoutException extends ConnectionTimeoutException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message which connection, which peer, and the timeout that passed
     */
    public RequestTimeoutException(String message) {
        super(message);
    }

    /**
     * @param message which connection, which peer, and the timeout that passed
     * @param cause the transport's timeout
     */
    public RequestTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * @return {@code false}: the peer may already have executed the request
     */
    @Override
    public boolean retryable() {
        return false;
    }
}
