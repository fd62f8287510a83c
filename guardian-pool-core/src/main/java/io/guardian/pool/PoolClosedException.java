package io.guardian.pool;

/** The pool was closed: waiting and new acquires fail with this, and nothing is dialed. */
public class PoolClosedException extends GuardianPoolException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what was refused because the pool is closed
     */
    public PoolClosedException(String message) {
        super(message);
    }
}
