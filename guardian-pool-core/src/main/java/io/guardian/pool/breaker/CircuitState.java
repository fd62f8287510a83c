package io.guardian.pool.breaker;

/** The states of a peer's circuit breaker, as in the original. */
public enum CircuitState {
    /** Calls go through; consecutive failures are counted. */
    CLOSED,
    /** Calls are refused at once until the open timeout passes. */
    OPEN,
    /**
     * One acquire at a time may go through as the probe, settled when its lease is closed; three
     * probe successes in a row close the breaker, and any failure reported meanwhile (the probe's
     * or another lease's) reopens it.
     */
    HALF_OPEN
}
