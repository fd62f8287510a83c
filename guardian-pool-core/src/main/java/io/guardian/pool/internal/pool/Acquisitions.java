package io.guardian.pool.internal.pool;

import io.guardian.pool.ConnectionFailedException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolExhaustedException;
import io.guardian.pool.PoolInterruptedException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The life of an {@link Acquisition} after the acquire path created it: waiting at a limit until
 * {@code acquire-timeout}, completion with a lease, failure, cancellation by the caller, and the
 * blocking caller's own wait, bounded by {@code acquire-deadline}. Not API.
 *
 * <p>{@link Acquisition#state} settles every race: whoever moves it out of a waiting state (a
 * granter, a deadline, a cancellation, shutdown) owns the next step, and only one party moves it
 * to {@link Acquisition#DONE}. What an acquisition holds (room under its peer limit, a dial count,
 * a half-open probe, a global permit) is given back by {@link #releaseResources} exactly once.
 */
final class Acquisitions {

    private final PoolEngine engine;
    private final long acquireTimeoutNanos;
    private final long acquireDeadlineNanos;
    private final int perPeerLimit;

    Acquisitions(PoolEngine engine, int perPeerLimit) {
        this.engine = engine;
        this.acquireTimeoutNanos = engine.config().acquireTimeout().toNanos();
        this.acquireDeadlineNanos = engine.config().acquireDeadline().toNanos();
        this.perPeerLimit = perPeerLimit;
    }

    /** Queued at the global limit: fail at once when acquire-timeout is zero, else arm its deadline. */
    void waitAtLimit(Acquisition a) {
        if (acquireTimeoutNanos == 0) {
            onDeadline(a);
        } else {
            armDeadline(a);
        }
    }

    void armDeadline(Acquisition a) {
        long remaining = a.startedNanos + acquireTimeoutNanos - engine.clock().nanoTime();
        if (!a.markTimerArmed()) {
            // Armed at an earlier wait, whose task ends this wait too, unless it already ran while
            // the acquisition was between two waits (given room under its peer limit, not yet
            // queued at the global one) and found nothing to end: its deadline has passed then.
            if (remaining <= 0) {
                onDeadline(a);
            }
            return;
        }
        long delay = Math.max(0L, remaining);
        a.timer = engine.scheduler().schedule(() -> onDeadline(a), delay);
    }

    /** The acquire timeout passed: fail the acquisition if it is still waiting. */
    private void onDeadline(Acquisition a) {
        int s = a.state.get();
        if (s == Acquisition.WAITING_PEER && a.state.compareAndSet(s, Acquisition.DONE)) {
            leavePeerQueue(a);
            a.future.completeExceptionally(exhaustedPerPeer(a.slot));
        } else if (s == Acquisition.WAITING_GLOBAL && a.state.compareAndSet(s, Acquisition.DONE)) {
            engine.admission().remove(a);
            releaseResources(a);
            a.future.completeExceptionally(engine.admission().exhausted(a));
        }
    }

    private void leavePeerQueue(Acquisition a) {
        synchronized (a.slot) {
            a.slot.removeWaiter(a);
            if (a.probe) {
                a.slot.breaker.releaseProbe();
                a.probe = false;
            }
        }
    }

    PoolExhaustedException exhaustedPerPeer(PeerSlot slot) {
        return new PoolExhaustedException("no connection to peer " + slot.peerId + " became free within "
                + "acquire-timeout (" + engine.config().acquireTimeout() + "): the peer's limit max-connections-per-peer ("
                + perPeerLimit + ") is reached; release connections sooner, or raise max-connections-per-peer or "
                + "acquire-timeout");
    }

    void complete(Acquisition a, LeaseHandle lease) {
        a.cancelTimers();
        if (!a.state.compareAndSet(Acquisition.ACTIVE, Acquisition.DONE) || !a.future.complete(lease)) {
            // The caller gave up (cancelled or interrupted) meanwhile: the connection goes back.
            lease.close();
        }
    }

    /** Fails an active acquisition and gives back what it holds. Only the first call acts. */
    void abort(Acquisition a, Throwable error) {
        if (!a.state.compareAndSet(Acquisition.ACTIVE, Acquisition.DONE)) {
            return;
        }
        a.cancelTimers();
        engine.dialer().done(a);
        releaseResources(a);
        a.future.completeExceptionally(error);
    }

    /** Fails an active acquisition because the pool closed. */
    void abortClosed(Acquisition a) {
        abort(a, engine.closedWhileWaiting(a));
    }

    /** Gives back the room, the dial count, the probe and the permit an acquisition holds. */
    void releaseResources(Acquisition a) {
        Acquisition next = null;
        PeerSlot slot = a.slot;
        synchronized (slot) {
            if (a.dialing) {
                slot.dialing--;
                a.dialing = false;
            }
            if (a.reserved) {
                slot.open--;
                slot.reserved--;
                a.reserved = false;
                next = engine.passRoomLocked(slot);
            }
            if (a.probe) {
                slot.breaker.releaseProbe();
                a.probe = false;
            }
        }
        if (a.permit) {
            a.permit = false;
            engine.admission().release();
        }
        if (next != null) {
            engine.proceedGlobal(next);
        }
    }

    PeerConnection await(Acquisition a) {
        try {
            try {
                // Bounded too: the acquisition ends itself by its deadline, and this wait is the
                // safety net, so no caller ever parks longer whatever happens on other threads.
                return a.future.get(acquireDeadlineNanos, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                expire(a);
                return a.future.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (!a.future.cancel(false)) {
                // A lease was handed over while the interrupt woke this caller, who throws
                // instead of taking it: nobody would ever close it, so it goes back now (at once:
                // the future is complete; a failed one holds nothing).
                a.future.thenAccept(PeerConnection::close);
            }
            cancel(a);
            // The caller's decision: not retryable, and never charged to the peer.
            throw new PoolInterruptedException("interrupted while waiting for a connection to peer "
                    + a.slot.peerId + " (the thread's interrupt flag is set)", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof GuardianPoolException) {
                GuardianPoolException g = (GuardianPoolException) cause;
                g.addSuppressed(new Throwable("awaited by " + Thread.currentThread().getName()));
                throw g;
            }
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new ConnectionFailedException("acquiring a connection to peer " + a.slot.peerId + " failed", cause);
        }
    }

    /** The blocking caller's wait reached the acquire deadline: the acquisition ends now, whatever it does. */
    private void expire(Acquisition a) {
        int s = a.state.get();
        if (s == Acquisition.WAITING_PEER || s == Acquisition.WAITING_GLOBAL) {
            onDeadline(a);
        } else if (s == Acquisition.ACTIVE) {
            engine.dialer().expire(a);
        }
    }

    /** The caller gave up: leave the queue if still in one; a dial under way finishes and is pooled. */
    void cancel(Acquisition a) {
        int s = a.state.get();
        if (s == Acquisition.WAITING_PEER && a.state.compareAndSet(s, Acquisition.DONE)) {
            a.cancelTimers();
            leavePeerQueue(a);
        } else if (s == Acquisition.WAITING_GLOBAL && a.state.compareAndSet(s, Acquisition.DONE)) {
            a.cancelTimers();
            engine.admission().remove(a);
            releaseResources(a);
        }
    }
}
