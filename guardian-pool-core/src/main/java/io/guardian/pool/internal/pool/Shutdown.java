package io.guardian.pool.internal.pool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine's shutdown, immediate or graceful. Not API.
 *
 * <p>Order: refuse new acquires (the engine's closed flag, set under {@link #closeLock}), stop
 * housekeeping, fail every waiter and dial, close idle connections; then wait, on a monitor
 * signalled by each release, until every lease came back or the grace passed; then close what is
 * still leased and stop the threads. A release during a graceful close counts itself in
 * {@link #closingReleases} in the same critical section that ends its lease, so the wait never
 * sees "nothing out" while a returned connection is still being closed.
 */
final class Shutdown {

    /** Longest close grace honoured; longer ones are cut to it (keeps deadline arithmetic from overflowing). */
    private static final Duration MAX_GRACE = Duration.ofDays(365);

    private final PoolEngine engine;
    /** Guards the closing flag's transition and the graceful close's wait, signalled by releases. */
    private final Object closeLock = new Object();
    /** When a graceful close stops waiting for leases ({@link System#nanoTime()}); closeLock. */
    private long drainDeadline;
    private final CountDownLatch terminated = new CountDownLatch(1);
    /** Leases returned during a graceful close whose connection is still being closed. */
    private final AtomicInteger closingReleases = new AtomicInteger();
    private volatile boolean allLeasesReturned;

    Shutdown(PoolEngine engine) {
        this.engine = engine;
    }

    /**
     * Closes the engine; see {@link PoolEngine#close(Duration)}.
     *
     * @param grace how long to wait for leases, zero or more
     * @return whether every lease came back within the grace
     */
    boolean close(Duration grace) {
        if (grace == null || grace.isNegative()) {
            throw new IllegalArgumentException("grace must be zero or a positive duration, was " + grace);
        }
        long graceNanos = grace.compareTo(MAX_GRACE) > 0 ? MAX_GRACE.toNanos() : grace.toNanos();
        boolean first;
        synchronized (closeLock) {
            long deadline = System.nanoTime() + graceNanos;
            first = engine.markClosed();
            if (first) {
                drainDeadline = deadline;
            } else if (deadline - drainDeadline < 0) {
                drainDeadline = deadline;
                closeLock.notifyAll();
            }
        }
        if (!first) {
            return awaitTerminated();
        }
        boolean allReturned = false;
        try {
            engine.monitor().stop();
            failWaitersAndCloseIdle();
            allReturned = awaitLeases();
        } finally {
            closeEverything();
            allLeasesReturned = allReturned;
            terminated.countDown();
        }
        return allReturned;
    }

    /** A lease came back during the close; its connection is being closed (slot lock held). */
    void releasingWhileClosed() {
        closingReleases.incrementAndGet();
    }

    /** That connection is closed now: a graceful close may be waiting for it. */
    void releasedWhileClosed() {
        closingReleases.decrementAndGet();
        synchronized (closeLock) {
            closeLock.notifyAll();
        }
    }

    /** Nobody waits any more, no dial goes on, nothing idle stays open. */
    private void failWaitersAndCloseIdle() {
        for (Acquisition a : engine.admission().drainAll()) {
            if (a.state.compareAndSet(Acquisition.WAITING_GLOBAL, Acquisition.DONE)) {
                a.cancelTimers();
                engine.acquisitions().releaseResources(a);
                a.future.completeExceptionally(engine.closedWhileWaiting(a));
            }
        }
        for (PeerSlot s : engine.slotsView()) {
            List<Acquisition> waiting = new ArrayList<>();
            Closings idle = new Closings(engine);
            synchronized (s) {
                Acquisition w;
                while ((w = s.pollWaiter()) != null) {
                    if (w.state.compareAndSet(Acquisition.WAITING_PEER, Acquisition.DONE)) {
                        if (w.probe) {
                            s.breaker.releaseProbe();
                            w.probe = false;
                        }
                        waiting.add(w);
                    }
                }
                while (s.idleCount > 0) {
                    idle.detachLocked(s, s.idle[s.idleCount - 1], "pool closed", CloseKind.SHUTDOWN);
                }
            }
            for (Acquisition w : waiting) {
                w.cancelTimers();
                w.future.completeExceptionally(engine.closedWhileWaiting(w));
            }
            idle.finish();
        }
        for (Acquisition a : engine.dialer().inflight()) {
            CompletableFuture<?> f = a.connect;
            if (f != null) {
                f.cancel(true);
            }
            engine.acquisitions().abortClosed(a);
        }
    }

    /** Waits, until the drain deadline, for every lease to be returned. @return whether all were */
    private boolean awaitLeases() {
        synchronized (closeLock) {
            while (true) {
                if (nothingOut()) {
                    return true;
                }
                long left = drainDeadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(closeLock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return nothingOut();
                }
            }
        }
    }

    /** @return whether no lease is out and no returned one is still being closed */
    private boolean nothingOut() {
        for (PeerSlot s : engine.slotsView()) {
            synchronized (s) {
                if (s.leased > 0) {
                    return false;
                }
            }
        }
        // Read after the slots: a release bumps this in the same critical section that ends its lease.
        return closingReleases.get() == 0;
    }

    /** Closes what is still leased (its holder gets errors), stops the threads. */
    private void closeEverything() {
        for (PeerSlot s : engine.slotsView()) {
            Closings all = new Closings(engine);
            synchronized (s) {
                for (PooledConn c : new ArrayList<>(s.conns)) {
                    all.detachLocked(s, c, "pool closed", CloseKind.SHUTDOWN);
                }
            }
            all.finish();
        }
        engine.stopParts();
    }

    /** A later close waits for the first to finish. @return what the first returned */
    private boolean awaitTerminated() {
        try {
            terminated.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return allLeasesReturned;
    }
}
