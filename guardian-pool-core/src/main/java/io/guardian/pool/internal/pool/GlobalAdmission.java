package io.guardian.pool.internal.pool;

import io.guardian.pool.PoolExhaustedException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission under {@code max-total-connections}: the global permits, the FIFO queue of callers
 * waiting for one, and the choice, at the limit, between waiting for a lease of the caller's own
 * peer and closing another peer's idle connection to dial. Not API.
 *
 * <p>A permit is held by every established connection and by every acquisition that dials. The
 * count is one atomic; the queue and its lock are touched only while someone waits at the limit.
 * Lock order: a slot lock, then this queue's lock ({@link #claimForRelease} is called under a slot
 * lock); never the other way round.
 */
final class GlobalAdmission {

    /** Marker from {@link #claimForRelease}: close the released connection to free a permit. */
    static final Object RECLAIM = new Object();
    /** Marker from {@link #claimForRelease}: the head waits for its own peer; keep the connection. */
    static final Object KEEP = new Object();

    private final PoolEngine engine;
    private final int maxTotal;
    private final AtomicInteger open = new AtomicInteger();
    private final Object lock = new Object();
    private final ArrayDeque<Acquisition> waiters = new ArrayDeque<>();
    private final AtomicInteger waiterCount = new AtomicInteger();

    GlobalAdmission(PoolEngine engine, int maxTotal) {
        this.engine = engine;
        this.maxTotal = maxTotal;
    }

    /** The acquisition holds room under its peer limit; it now needs a global permit to dial. */
    void proceed(Acquisition a) {
        if (engine.isClosed()) {
            engine.acquisitions().abortClosed(a);
            return;
        }
        if (waiterCount.get() == 0 && tryReserve()) {
            a.permit = true;
            engine.dialer().start(a);
            return;
        }
        List<Acquisition> granted;
        synchronized (lock) {
            a.state.set(Acquisition.WAITING_GLOBAL);
            waiters.addLast(a);
            waiterCount.incrementAndGet();
            // Enqueue first, then try: a permit released in between is then never missed.
            granted = drainLocked();
        }
        startAll(granted);
        if (a.state.get() == Acquisition.WAITING_GLOBAL) {
            long defer = reclaimDeferral(a.slot);
            if (defer == 0) {
                reclaimIdle(a.slot);
            } else {
                // Cost-aware: a lease of its own peer is expected back sooner than a dial would
                // take, so wait for it (a release hands it over) rather than close another peer's
                // connection and dial; if none came back within the dial's cost, reclaim then.
                a.reclaimNotBefore = engine.clock().nanoTime() + defer;
                a.reclaimDeferred = true;
                a.reclaimTimer = engine.scheduler().schedule(() -> {
                    if (a.state.get() == Acquisition.WAITING_GLOBAL) {
                        reclaimIdle(a.slot);
                    }
                }, defer);
            }
        }
        if (a.state.get() == Acquisition.WAITING_GLOBAL) {
            engine.acquisitions().waitAtLimit(a);
        }
    }

    /**
     * How long a caller at the global limit should wait for a lease of its own peer before a
     * connection of another peer is closed to make room for its dial: the measured average dial
     * (connect plus handshake) when the peer has leases out and one is expected back sooner than
     * that (its average lease hold divided by the leases out), else zero (reclaim now: a dial is
     * needed anyway, or waiting would cost more than dialing).
     */
    private long reclaimDeferral(PeerSlot slot) {
        long dialNanos = engine.counters().avgDialNanos();
        if (dialNanos <= 0) {
            return 0L;
        }
        synchronized (slot) {
            if (slot.leased == 0) {
                return 0L;
            }
            long hold = slot.holdsEnded == 0 ? dialNanos : slot.holdNanos / slot.holdsEnded;
            return hold / slot.leased < dialNanos ? dialNanos : 0L;
        }
    }

    private List<Acquisition> drainLocked() {
        List<Acquisition> granted = null;
        Acquisition head;
        while ((head = waiters.peekFirst()) != null) {
            if (head.state.get() != Acquisition.WAITING_GLOBAL) {
                waiters.pollFirst();
                waiterCount.decrementAndGet();
                continue;
            }
            if (!tryReserve()) {
                break;
            }
            waiters.pollFirst();
            waiterCount.decrementAndGet();
            if (head.state.compareAndSet(Acquisition.WAITING_GLOBAL, Acquisition.ACTIVE)) {
                head.permit = true;
                if (granted == null) {
                    granted = new ArrayList<>(1);
                }
                granted.add(head);
            } else {
                open.decrementAndGet();
            }
        }
        return granted;
    }

    private void startAll(List<Acquisition> granted) {
        if (granted != null) {
            for (Acquisition g : granted) {
                engine.dialer().start(g);
            }
        }
    }

    /** Takes a permit if one is free, without waiting or reclaiming. @return whether one was taken */
    boolean tryTake() {
        return tryReserve();
    }

    private boolean tryReserve() {
        while (true) {
            int n = open.get();
            if (n >= maxTotal) {
                return false;
            }
            if (open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives one permit back, handing it to the first waiter if there is one. */
    void release() {
        open.decrementAndGet();
        if (waiterCount.get() > 0) {
            List<Acquisition> granted;
            synchronized (lock) {
                granted = drainLocked();
            }
            startAll(granted);
        }
    }

    /**
     * Closes the least recently used idle connection of a peer other than {@code exclude}, to
     * make room at the global limit. Scans every slot: this runs only when someone waits at the
     * global limit.
     *
     * @return whether a connection was closed
     */
    boolean reclaimIdle(PeerSlot exclude) {
        for (int tries = 0; tries < 3; tries++) {
            if (waiterCount.get() == 0) {
                return false; // served meanwhile (a deferred reclaim): nobody needs the room any more
            }
            PeerSlot best = null;
            long bestUsed = Long.MAX_VALUE;
            for (PeerSlot s : engine.slotsView()) {
                if (s == exclude) {
                    continue;
                }
                synchronized (s) {
                    if (s.idleCount > 0 && (best == null || s.idle[0].lastUsedNanos - bestUsed < 0)) {
                        best = s;
                        bestUsed = s.idle[0].lastUsedNanos;
                    }
                }
            }
            if (best == null) {
                return false;
            }
            Closings closings = new Closings(engine);
            synchronized (best) {
                if (best.idleCount > 0) {
                    closings.detachLocked(best, best.idle[0], "closed to make room for another peer at "
                            + "max-total-connections (" + maxTotal + ")", CloseKind.EVICTED);
                }
            }
            if (closings.size() > 0) {
                closings.finish();
                return true;
            }
        }
        return false;
    }

    /**
     * At the global limit with waiters, for a connection of {@code slot} whose lease just ended
     * (caller holds that slot's lock): the first waiter for this very peer takes it (its room under
     * the peer limit is given back, since it gets an existing connection; no permit changes hands,
     * so the waiters ahead of it, for other peers, lose nothing). Otherwise the head needs a dial:
     * {@link #RECLAIM} (close the connection to free a permit for it) unless the head still
     * expects a lease of its own peer back sooner than a dial, then {@link #KEEP}. {@code null}
     * when nobody is waiting after all.
     */
    Object claimForRelease(PeerSlot slot) {
        if (waiterCount.get() == 0) {
            return null;
        }
        synchronized (lock) {
            Acquisition head = null;
            for (Iterator<Acquisition> it = waiters.iterator(); it.hasNext();) {
                Acquisition w = it.next();
                if (w.state.get() != Acquisition.WAITING_GLOBAL) {
                    it.remove();
                    waiterCount.decrementAndGet();
                    continue;
                }
                if (w.slot != slot) {
                    if (head == null) {
                        head = w;
                    }
                    continue;
                }
                it.remove();
                waiterCount.decrementAndGet();
                if (w.state.compareAndSet(Acquisition.WAITING_GLOBAL, Acquisition.ACTIVE)) {
                    slot.open--;
                    slot.reserved--;
                    w.reserved = false;
                    w.cancelTimers();
                    return w;
                }
            }
            if (head == null) {
                return null;
            }
            return head.reclaimDeferred && engine.clock().nanoTime() - head.reclaimNotBefore < 0 ? KEEP : RECLAIM;
        }
    }

    /** Leaves the queue (deadline, cancellation). */
    void remove(Acquisition a) {
        synchronized (lock) {
            if (waiters.remove(a)) {
                waiterCount.decrementAndGet();
            }
        }
    }

    /** Shutdown: empties the queue. @return who was in it */
    List<Acquisition> drainAll() {
        synchronized (lock) {
            List<Acquisition> all = new ArrayList<>(waiters);
            waiters.clear();
            waiterCount.set(0);
            return all;
        }
    }

    /** @return permits held: connections plus dials */
    int open() {
        return open.get();
    }

    /** @return callers waiting at the global limit (may count some that just gave up) */
    int waiting() {
        return waiterCount.get();
    }

    /** @return live waiters for one peer */
    int waitingFor(PeerSlot slot) {
        if (waiterCount.get() == 0) {
            return 0;
        }
        int n = 0;
        synchronized (lock) {
            for (Acquisition a : waiters) {
                if (a.slot == slot && a.state.get() == Acquisition.WAITING_GLOBAL) {
                    n++;
                }
            }
        }
        return n;
    }

    /** The failure of a caller whose wait at the global limit passed {@code acquire-timeout}. */
    PoolExhaustedException exhausted(Acquisition a) {
        return new PoolExhaustedException("no connection to peer " + a.slot.peerId + " became free within "
                + "acquire-timeout (" + engine.config().acquireTimeout() + "): the pool's limit "
                + "max-total-connections (" + maxTotal + ") is reached and every connection is in use; release "
                + "connections sooner, or raise max-total-connections or acquire-timeout");
    }
}
