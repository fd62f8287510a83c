package io.guardian.pool.internal.pool;

/** Why a connection is being closed, for counting and for the Disconnected reason. Not API. */
enum CloseKind {
    /** Closed by the pool while healthy: idle, expired, reclaimed, evicted on request. */
    EVICTED,
    /** Found dead by the pool: closed socket, lost PONGs. */
    DEAD,
    /** Failed under its holder: I/O or protocol error, {@code markFailed}. */
    FAILED,
    /** The remote closed it in order (CLOSE, GoAway, FIN, a connection manager's trim): churn, not a failure. */
    CHURN,
    /** Pool shutdown. */
    SHUTDOWN
}
