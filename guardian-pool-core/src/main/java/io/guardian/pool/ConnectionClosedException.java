package io.guardian.pool;

/**
 * An established connection ended under the caller: the peer closed it (with or without a CLOSE
 * frame), the socket failed, or the peer broke the frame protocol. The connection is never
 * returned to the pool after this.
 */
public class ConnectionClosedException extends GuardianPoolException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message which connection, which peer, and why it closed
     */
    public ConnectionClosedException(String message) {
        super(message);
    }

    /**
     * @param message which connection, which peer, and why it closed
     * @param cause the underlying failure
     */
    public ConnectionClosedException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean retryable() {
        return true;
    }
}
