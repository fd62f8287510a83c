package io.guardian.pool.internal.pool;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A pool clock that moves only when a test says so. */
public final class FakeClock implements PoolClock {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final long wallBaseMillis = 1_700_000_000_000L;

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    @Override
    public long wallMillis() {
        return wallBaseMillis + (nanos.get() - 1_000_000_000L) / 1_000_000L;
    }

    /** Moves time forward. */
    public void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }
}
