package io.guardian.pool.breaker;

/** The states of a peer's circuit breaker, as in the original. */
public enum CircuitState {
    /** Calls go through; consecutive failures are counted. */
    CLOSED,
    /** Calls are refused at once until the open timeout passes. */
    OPEN,
    /** One probe at a time may go through; three successes close, one failure reopens. */
    HALF_OPEN
}
