package io.guardian.pool;

import io.guardian.pool.peer.PeerId;

/**
 * Timings of acquires and dials, as they happen, for metrics (the Spring Boot starter turns them
 * into Micrometer timers). Register with {@link OptimizedConnectionPool#addObserver}.
 *
 * <p>Unlike {@link io.guardian.pool.event.ConnectionEvent}s, which are queued and delivered on the
 * pool's event thread (and dropped when listeners fall behind), observers are called
 * <em>synchronously</em>, on the thread that did the work, so that no sample is lost and none
 * costs an allocation or a hand-off: {@code acquired} and {@code acquireFailed} on the thread that
 * called {@code acquire} (for {@code acquireAsync}: the thread that completes the future),
 * {@code dialed} and {@code dialFailed} on the thread that finished the dial, often a network
 * event loop, {@code released} on the thread that closed the lease. Hence an observer must be cheap and must never block: record a number and return.
 * An exception thrown by an observer is caught and logged; it never fails the acquire or the dial
 * and the observer stays registered.
 *
 * <p>With no observer registered the pool pays one volatile read per acquire and reads no clock
 * for it; with observers, one clock reading per acquire and one cached-clock reading per release (the
 * dial timings reuse readings the pool takes anyway). Every method has an empty default, so an observer implements only what it needs.
 */
public interface PoolObserver {

    /**
     * A caller got a connection.
     *
     * @param peer the peer
     * @param waitedNanos from the call to {@code acquire} until the lease was made (not counting
     *     the moment a blocked caller then takes to wake up): near zero for an idle connection,
     *     the dial (with retries) for a new one, the wait at a limit otherwise
     * @param reused {@code true} if an existing connection was leased (idle, or handed over by a
     *     caller who released it), {@code false} if it was dialed for this caller
     */
    default void acquired(PeerId peer, long waitedNanos, boolean reused) {
    }

    /**
     * An acquire failed with the pool's exception: open breaker, exhausted limit, failed dial
     * (after its retries), closed pool, interruption. Invalid arguments ({@code null}, an address
     * that cannot be dialed) and a caller cancelling an {@code acquireAsync} future are not
     * reported. Each candidate {@code acquireAny} tries is reported on its own.
     *
     * @param peer the peer
     * @param waitedNanos from the call until the failure
     * @param cause what the caller gets thrown
     */
    default void acquireFailed(PeerId peer, long waitedNanos, GuardianPoolException cause) {
    }

    /**
     * A dial attempt completed its TCP connect and handshake.
     *
     * @param peer the peer
     * @param connectAndHandshakeNanos from starting the attempt to the handshake's end: the
     *     connect, the handshake round trips and the signature checks
     */
    default void dialed(PeerId peer, long connectAndHandshakeNanos) {
    }

    /**
     * A dial attempt failed (each attempt, retries included; a dial cancelled by shutdown is not
     * reported).
     *
     * @param peer the peer
     * @param tookNanos from starting the attempt until it failed
     * @param cause why: typically {@link ConnectionFailedException},
     *     {@link ConnectionTimeoutException} or {@link HandshakeException}
     */
    default void dialFailed(PeerId peer, long tookNanos, Throwable cause) {
    }

    /**
     * A caller ended its lease: {@link PeerConnection#close()} or {@link PeerConnection#markFailed}
     * (the first of them; later calls end nothing), also when the pool had already closed the
     * connection under its holder. Called after the connection went back to the pool, so the
     * observer delays no waiter. A lease never closed is never reported (leak detection reports
     * those).
     *
     * @param peer the peer
     * @param heldNanos from the lease's start to its end, read on the pool's bookkeeping clock,
     *     which trails the precise clock by up to about a millisecond: hold times are accurate to
     *     about 1 ms, never negative
     */
    default void released(PeerId peer, long heldNanos) {
    }
}
