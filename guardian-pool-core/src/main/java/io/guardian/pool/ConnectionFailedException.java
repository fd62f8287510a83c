package io.guardian.pool;

/**
 * A TCP connection to a peer could not be opened (refused, unreachable, name not resolved), or an
 * address could not be dialed. The message names the peer and the address.
 */
public class ConnectionFailedException extends GuardianPoolException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message which peer, which address, and why
     * @param cause the underlying I/O failure
     */
    public ConnectionFailedException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * @param message which peer, which address, and why
     */
    public ConnectionFailedException(String message) {
        super(message);
    }

    @Override
    public boolean retryable() {
        return true;
    }
}
