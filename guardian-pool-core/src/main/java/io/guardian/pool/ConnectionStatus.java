package io.guardian.pool;

/**
 * The state of one pooled connection as a snapshot reports it, the original's five states. Each
 * is derived from what the pool observed, never assigned as a default.
 */
public enum ConnectionStatus {
    /** Open, answering PINGs, and its peer is not degraded. */
    HEALTHY,
    /** Open, but its peer's health score is below 0.5 or its last PING went unanswered. */
    DEGRADED,
    /** Open, but its peer's circuit breaker is not closed, so new leases to that peer are refused. */
    UNAVAILABLE,
    /** Closed by the pool or the peer without a fault (idle, expired, reclaimed, shut down). */
    DISCONNECTED,
    /** Closed because it failed: socket error, protocol error, lost PONGs or {@code markFailed}. */
    FAILED
}
