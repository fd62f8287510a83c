package io.guardian.pool.reliability;

import java.time.Duration;

/**
 * The longest pause a periodic task saw between two of its runs, beyond its period: how long the
 * whole process (or the machine's scheduling of it) stood still, which delays every thread alike
 * and is no fault of the code under test. Ticked from one thread; read after it stopped.
 */
final class StallWatch {

    private final long periodNanos;
    private long last = -1;
    private volatile long longestNanos;

    /** For a task run every 20 ms. */
    StallWatch() {
        this(Duration.ofMillis(20));
    }

    StallWatch(Duration period) {
        this.periodNanos = period.toNanos();
    }

    /** Called at each run of the periodic task. */
    void tick() {
        long now = System.nanoTime();
        if (last >= 0) {
            long late = now - last - periodNanos;
            if (late > longestNanos) {
                longestNanos = late;
            }
        }
        last = now;
    }

    /** @return the longest pause beyond the period seen so far, zero if none */
    Duration longest() {
        return Duration.ofNanos(Math.max(0L, longestNanos));
    }
}
