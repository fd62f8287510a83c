package io.guardian.pool;

/**
 * A dial, handshake or read did not complete within its deadline ({@code connection-timeout} for
 * a dial and handshake, the caller's timeout for {@code receive} and {@code request}).
 */
public class ConnectionTimeoutException extends GuardianPoolException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what timed out, for which peer, and which setting bounds it
     */
    public ConnectionTimeoutException(String message) {
        super(message);
    }

    /**
     * @param message what timed out, for which peer, and which setting bounds it
     * @param cause the underlying failure
     */
    public ConnectionTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean retryable() {
        return true;
    }
}
