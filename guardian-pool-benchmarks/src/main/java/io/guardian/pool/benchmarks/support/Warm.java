package io.guardian.pool.benchmarks.support;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fills a pool with idle connections before measurement, dialing many peers at once but with a
 * bounded number of dials in flight, so thousands of peers connect in seconds without flooding
 * the transport's handshake executor.
 */
public final class Warm {

    /** Dials in flight at once: enough to keep both cores busy with handshakes, far below any queue. */
    static final int IN_FLIGHT = 128;

    private Warm() {
    }

    /**
     * Gives {@code ids[from..to)} one idle connection each: acquires them concurrently (at most
     * {@link #IN_FLIGHT} at a time) and returns every lease.
     *
     * @param pool the pool to fill
     * @param ids peers, index-aligned with {@code addresses}
     * @param addresses where to dial them
     * @param from first index, inclusive
     * @param to last index, exclusive
     * @param timeout bound on the whole warm-up
     * @param unit unit of {@code timeout}
     * @throws IllegalStateException naming the first peer that failed, or when the time ran out
     */
    public static void onePerPeer(OptimizedConnectionPool pool, PeerId[] ids, Multiaddr[] addresses, int from, int to,
            long timeout, TimeUnit unit) {
        Semaphore slots = new Semaphore(IN_FLIGHT);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        List<CompletableFuture<Void>> pending = new ArrayList<>(to - from);
        for (int i = from; i < to && failure.get() == null; i++) {
            acquireSlot(slots, deadline);
            int peer = i;
            pending.add(pool.acquireAsync(ids[i], addresses[i]).handle((lease, error) -> {
                slots.release();
                if (error != null) {
                    IllegalStateException wrapped = new IllegalStateException("warming peer #" + peer + " ("
                            + ids[peer] + " at " + addresses[peer] + ") failed: " + unwrap(error), unwrap(error));
                    failure.compareAndSet(null, wrapped);
                } else {
                    lease.close();
                }
                return null;
            }));
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).orTimeout(
                Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).join();
        if (failure.get() != null) {
            throw (IllegalStateException) failure.get();
        }
    }

    /**
     * Gives one peer {@code count} idle connections: holds that many leases at once, then
     * returns them.
     *
     * @param pool the pool to fill
     * @param id the peer
     * @param address where to dial it
     * @param count how many connections
     */
    public static void manyForOnePeer(OptimizedConnectionPool pool, PeerId id, Multiaddr address, int count) {
        List<PeerConnection> held = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                held.add(pool.acquire(id, address));
            }
        } finally {
            held.forEach(PeerConnection::close);
        }
    }

    private static void acquireSlot(Semaphore slots, long deadline) {
        try {
            if (!slots.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("warming the pool did not finish in time: dials are stuck ("
                        + IN_FLIGHT + " in flight); check the listener side and the load on this machine");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while warming the pool", e);
        }
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }
}
