package io.guardian.pool.sample;

/**
 * A demo peer could not bind its listener. On a restart this means its old port was taken while
 * it was stopped; the REST API answers it with 409 Conflict.
 */
public class DemoPeerStartException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed and what to do about it
     * @param cause the bind failure
     */
    public DemoPeerStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
