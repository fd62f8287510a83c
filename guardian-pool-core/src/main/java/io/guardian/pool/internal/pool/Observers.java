package io.guardian.pool.internal.pool;

import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolObserver;
import io.guardian.pool.peer.PeerId;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the engine's {@link PoolObserver}s. Not API. The engine keeps them in a copy-on-write
 * array in a volatile field of its own, so the acquire path reads one field and, with nobody
 * registered, does nothing else; this class builds those arrays and calls their members.
 *
 * <p>Observers run on pool and network threads; one that throws is logged (at WARN the first
 * time, at DEBUG after that, so an observer failing on every acquire cannot flood the log) and
 * otherwise ignored.
 */
final class Observers {

    private static final Logger LOG = LoggerFactory.getLogger(Observers.class);

    /** Shared empty array: the state with no observer, checked by length. */
    static final PoolObserver[] NONE = new PoolObserver[0];

    /** Registered observers, copy-on-write; {@link #NONE} when there are none (the usual case). */
    private volatile PoolObserver[] current = NONE;
    private final Object lock = new Object();

    /** @return the observers registered now; the acquire path reads this once per call */
    PoolObserver[] current() {
        return current;
    }

    /**
     * Registers an observer.
     *
     * @return a handle that removes it; idempotent
     */
    AutoCloseable register(PoolObserver observer) {
        synchronized (lock) {
            current = plus(current, observer);
        }
        AtomicBoolean removed = new AtomicBoolean();
        return () -> {
            if (removed.compareAndSet(false, true)) {
                synchronized (lock) {
                    current = minus(current, observer);
                }
            }
        };
    }

    /** Observers that threw once already; touched only when one throws. */
    private final Set<PoolObserver> failedBefore = Collections.synchronizedSet(
            Collections.newSetFromMap(new IdentityHashMap<>()));

    /** @return a copy of {@code observers} with {@code observer} appended */
    static PoolObserver[] plus(PoolObserver[] observers, PoolObserver observer) {
        PoolObserver[] next = Arrays.copyOf(observers, observers.length + 1);
        next[observers.length] = observer;
        return next;
    }

    /** @return a copy of {@code observers} without the first occurrence of {@code observer} */
    PoolObserver[] minus(PoolObserver[] observers, PoolObserver observer) {
        for (int i = 0; i < observers.length; i++) {
            if (observers[i] == observer) {
                failedBefore.remove(observer);
                if (observers.length == 1) {
                    return NONE;
                }
                PoolObserver[] next = new PoolObserver[observers.length - 1];
                System.arraycopy(observers, 0, next, 0, i);
                System.arraycopy(observers, i + 1, next, i, observers.length - i - 1);
                return next;
            }
        }
        return observers;
    }

    /** Runs a blocking acquire and reports its outcome and duration to the observers. */
    PeerConnection timed(PoolObserver[] observers, PeerId peer, PoolClock clock, Supplier<PeerConnection> acquire) {
        long start = clock.nanoTime();
        PeerConnection lease;
        try {
            lease = acquire.get();
        } catch (GuardianPoolException e) {
            acquireFailed(observers, peer, clock.nanoTime() - start, e);
            throw e;
        }
        long got = clock.nanoTime();
        LeaseHandle handle = (LeaseHandle) lease;
        handle.lease().observedSinceNanos = got; // the caller holds it: the state is this lease's
        acquired(observers, peer, got - start, handle.reused());
        return lease;
    }

    /** Reports an acquire that started at {@code start} and got a lease; nothing without observers. */
    void acquiredAt(PoolObserver[] observers, PeerId peer, PoolClock clock, long start, boolean reused) {
        if (observers.length != 0) {
            acquired(observers, peer, clock.nanoTime() - start, reused);
        }
    }

    /** Reports an acquire that started at {@code start} and failed; only the pool's own failures are reported. */
    void failedAt(PoolObserver[] observers, PeerId peer, PoolClock clock, long start, Throwable failure) {
        if (observers.length != 0 && failure instanceof GuardianPoolException) {
            acquireFailed(observers, peer, clock.nanoTime() - start, (GuardianPoolException) failure);
        }
    }

    void acquired(PoolObserver[] observers, PeerId peer, long waitedNanos, boolean reused) {
        for (PoolObserver o : observers) {
            try {
                o.acquired(peer, waitedNanos, reused);
            } catch (RuntimeException | Error e) {
                failed(o, "acquired", e);
            }
        }
    }

    void acquireFailed(PoolObserver[] observers, PeerId peer, long waitedNanos, GuardianPoolException cause) {
        for (PoolObserver o : observers) {
            try {
                o.acquireFailed(peer, waitedNanos, cause);
            } catch (RuntimeException | Error e) {
                failed(o, "acquireFailed", e);
            }
        }
    }

    void dialed(PoolObserver[] observers, PeerId peer, long nanos) {
        for (PoolObserver o : observers) {
            try {
                o.dialed(peer, nanos);
            } catch (RuntimeException | Error e) {
                failed(o, "dialed", e);
            }
        }
    }

    void dialFailed(PoolObserver[] observers, PeerId peer, long nanos, Throwable cause) {
        for (PoolObserver o : observers) {
            try {
                o.dialFailed(peer, nanos, cause);
            } catch (RuntimeException | Error e) {
                failed(o, "dialFailed", e);
            }
        }
    }

    /** Reports a lease its holder ended after {@code heldNanos} (clamped at zero: coarse readings). */
    void released(PoolObserver[] observers, PeerId peer, long heldNanos) {
        long held = Math.max(0L, heldNanos);
        for (PoolObserver o : observers) {
            try {
                o.released(peer, held);
            } catch (RuntimeException | Error e) {
                failed(o, "released", e);
            }
        }
    }

    private void failed(PoolObserver observer, String method, Throwable e) {
        if (failedBefore.add(observer)) {
            LOG.warn("Pool observer {} threw from {}; the pool ignores it and keeps calling it (later failures are"
                    + " logged at DEBUG)", observer, method, e);
        } else {
            LOG.debug("Pool observer {} threw from {} again", observer, method, e);
        }
    }
}
