package io.guardian.pool;

/**
 * No connection became available within {@code acquire-timeout}: the global limit
 * ({@code max-total-connections}) or the peer's limit ({@code max-connections-per-peer}) was
 * reached and no lease was returned in time. The message names the limit that was hit.
 */
public class PoolExhaustedException extends GuardianPoolException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message which limit was reached, for which peer, and what to change
     */
    public PoolExhaustedException(String message) {
        super(message);
    }

    @Override
    public boolean retryable() {
        return true;
    }
}
