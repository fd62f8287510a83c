package io.guardian.pool.internal.pool;

import java.time.Instant;

/**
 * The pool's time source. Not API. Everything that measures or schedules asks this clock, so
 * tests step time instead of sleeping. {@link #nanoTime()} orders and measures; wall time only
 * labels snapshots and events for people.
 */
public interface PoolClock {

    /** The JVM's clocks. */
    PoolClock SYSTEM = new PoolClock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long coarseNanoTime() {
            return CoarseTicker.nanoTime();
        }

        @Override
        public long wallMillis() {
            return System.currentTimeMillis();
        }
    };

    /** @return a monotonic reading in nanoseconds, as {@link System#nanoTime()} */
    long nanoTime();

    /**
     * A cheaper reading of {@link #nanoTime()} that may trail it by about a millisecond, for the
     * acquire and release bookkeeping only (idle-timeout, max-lifetime, time leased). The system
     * clock serves it from {@link CoarseTicker} while a pool holds that; a test clock returns
     * {@link #nanoTime()}.
     *
     * @return a monotonic reading in nanoseconds, possibly a little behind
     */
    default long coarseNanoTime() {
        return nanoTime();
    }

    /** @return wall-clock time in milliseconds since the epoch */
    long wallMillis();

    /**
     * Converts a {@link #nanoTime()} reading into wall-clock time.
     *
     * @param nanos a reading taken from this clock
     * @return the wall-clock instant it corresponds to
     */
    default Instant wallAt(long nanos) {
        long wall = wallMillis();
        long now = nanoTime();
        return Instant.ofEpochMilli(wall).minusNanos(now - nanos);
    }
}
