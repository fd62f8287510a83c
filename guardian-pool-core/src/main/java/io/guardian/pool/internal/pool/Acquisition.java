package io.guardian.pool.internal.pool;

import io.guardian.pool.PeerConnection;
import io.guardian.pool.internal.transport.PooledTransport;
import io.guardian.pool.peer.Multiaddr;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An acquire that could not be served from an idle connection at once: it waits at a limit,
 * dials, or retries. Allocated only off the fast path. Not API.
 *
 * <p>{@link #state} settles every race: whoever moves it out of a waiting state (a granter, a
 * deadline, a cancellation, shutdown) owns the next step, and only one party can move it to
 * {@link #DONE}.
 */
final class Acquisition {

    /** Not queued: about to reserve, dialing, or between attempts. */
    static final int ACTIVE = 0;
    /** In its peer's queue, waiting for a released connection or for room under the peer limit. */
    static final int WAITING_PEER = 1;
    /** In the global queue, holding room under its peer limit, waiting for room under the global one. */
    static final int WAITING_GLOBAL = 2;
    /** Completed, failed or cancelled. */
    static final int DONE = 3;

    final PeerSlot slot;
    final Multiaddr address;
    final Throwable site;
    final CompletableFuture<PeerConnection> future = new CompletableFuture<>();
    final AtomicInteger state = new AtomicInteger(ACTIVE);
    final long startedNanos;

    // Resources held, changed under the slot lock (permit: by its single owner at a time).
    boolean probe;
    boolean reserved;
    boolean dialing;
    volatile boolean permit;

    int attempt;
    Throwable lastError;
    long attemptStartNanos;
    volatile CompletableFuture<? extends PooledTransport> connect;
    /** The protocol its lease negotiates (libp2p); the pool's default when none was asked for. */
    String protocol;
    volatile PoolScheduler.Cancellable timer;
    volatile PoolScheduler.Cancellable retry;
    /** Deferred reclaim at the global limit (see the engine's reclaimDeferral). */
    volatile PoolScheduler.Cancellable reclaimTimer;
    /**
     * Until when (precise clock) this waiter at the global limit prefers a lease of its own peer
     * to a reclaimed connection; releases of other peers' connections keep them meanwhile.
     */
    volatile long reclaimNotBefore;
    /** Whether {@link #reclaimNotBefore} is set. */
    volatile boolean reclaimDeferred;
    private boolean timerArmed;

    Acquisition(PeerSlot slot, Multiaddr address, Throwable site, boolean probe, long startedNanos) {
        this.slot = slot;
        this.address = address;
        this.site = site;
        this.probe = probe;
        this.startedNanos = startedNanos;
    }

    /** @return whether this call armed the deadline (it is armed once, at the first wait) */
    synchronized boolean markTimerArmed() {
        if (timerArmed) {
            return false;
        }
        timerArmed = true;
        return true;
    }

    void cancelTimers() {
        PoolScheduler.Cancellable t = timer;
        if (t != null) {
            t.cancel();
        }
        PoolScheduler.Cancellable r = retry;
        if (r != null) {
            r.cancel();
        }
        PoolScheduler.Cancellable c = reclaimTimer;
        if (c != null) {
            c.cancel();
        }
    }
}
