package io.guardian.pool.internal.transport;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A listener's global budget for bytes its peers made it buffer (guardian-db frames still arriving
 * or waiting for the handler, yamux Data received and not yet read), reserved <em>before</em> the
 * memory is allocated, in the manner of go-libp2p's resource manager
 * ({@code p2p/host/resource-manager}: "Before a new buffer is allocated, the component should try
 * a memory reservation, which can fail if the resource limit is exceeded"). A failed reservation
 * is never waited for: the caller drops what asked for it (closes the guardian-db connection,
 * resets the yamux stream) and {@link #refusals()} counts it. Not API.
 *
 * <p>Priorities, as go-libp2p's {@code ReserveMemory(size, prio)} (a reservation passes while the
 * total after it stays under {@code limit * (1 + prio) / 256}): the first
 * {@value #SMALL_SHARE} bytes a connection holds may use the whole budget, anything it holds
 * beyond that only {@link #BULK_NUMERATOR}/{@link #BULK_DENOMINATOR} of it (go-yamux grows a
 * stream's window at priority 128, about one half). So sessions holding large unfinished frames
 * can never take the room that ordinary small requests of other connections need.
 *
 * <p>Thread-safe: one lock-free counter for the budget, one monitor per {@link Account}.
 */
public final class MemoryBudget {

    /** What one connection may hold at full priority: small messages always find room. */
    public static final long SMALL_SHARE = 64 * 1024;
    /** Share of the budget that holdings beyond {@link #SMALL_SHARE} may fill: numerator. */
    public static final long BULK_NUMERATOR = 1;
    /** Share of the budget that holdings beyond {@link #SMALL_SHARE} may fill: denominator. */
    public static final long BULK_DENOMINATOR = 2;

    /** Counts nothing and refuses nothing: for connections no budget applies to. */
    public static final MemoryBudget UNLIMITED = new MemoryBudget(Long.MAX_VALUE);

    private final long limit;
    private final long bulkLimit;
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();
    private final LongAdder refusals = new LongAdder();

    /** @param limit bytes that may be reserved at once, in total */
    public MemoryBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("memory budget must be at least 1 byte, was " + limit);
        }
        this.limit = limit;
        this.bulkLimit = limit / BULK_DENOMINATOR * BULK_NUMERATOR;
    }

    /** @return a new account for one connection; close it when the connection ends */
    public Account open() {
        return new Account();
    }

    /** @return the budget in bytes */
    public long limit() {
        return limit;
    }

    /** @return bytes reserved now */
    public long used() {
        return used.get();
    }

    /** @return the most bytes ever reserved at once */
    public long peak() {
        return peak.get();
    }

    /** @return reservations refused so far (each dropped a connection or a stream) */
    public long refusals() {
        return refusals.sum();
    }

    private boolean tryReserve(long bytes, long ceiling) {
        if (this == UNLIMITED) {
            return true;
        }
        long now;
        long next;
        do {
            now = used.get();
            next = now + bytes;
            if (next > ceiling || next < 0) {
                refusals.increment();
                return false;
            }
        } while (!used.compareAndSet(now, next));
        peak.accumulateAndGet(next, Math::max);
        return true;
    }

    private void give(long bytes) {
        if (this != UNLIMITED && bytes > 0) {
            used.addAndGet(-bytes);
        }
    }

    /**
     * What one connection holds of the budget. Reservations come from the event loop, releases
     * also from handler threads; {@link #close()} gives back everything at once, after which
     * reservations fail and releases are ignored (the connection's buffers are gone with it).
     */
    public final class Account {
        private long held;
        private boolean closed;

        private Account() {
        }

        /**
         * Reserves {@code bytes} before they are allocated: at full priority while this account
         * then holds at most {@link #SMALL_SHARE}, else within the bulk share of the budget.
         *
         * @param bytes how many bytes are about to be buffered, not negative
         * @return whether they may be; on {@code false} nothing was reserved
         */
        public synchronized boolean reserve(long bytes) {
            if (closed) {
                return false;
            }
            if (bytes == 0) {
                return true;
            }
            long ceiling = held + bytes <= SMALL_SHARE ? limit : bulkLimit;
            if (!tryReserve(bytes, ceiling)) {
                return false;
            }
            held += bytes;
            return true;
        }

        /** @param bytes bytes handed back (no longer buffered); more than held is capped */
        public synchronized void release(long bytes) {
            if (closed || bytes <= 0) {
                return;
            }
            long n = Math.min(bytes, held);
            held -= n;
            give(n);
        }

        /** @return bytes this account holds now */
        public synchronized long held() {
            return held;
        }

        /** Gives back everything held and refuses from now on. Idempotent. */
        public synchronized void close() {
            if (!closed) {
                closed = true;
                give(held);
                held = 0;
            }
        }
    }
}
