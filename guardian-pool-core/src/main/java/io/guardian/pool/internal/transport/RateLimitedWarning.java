package io.guardian.pool.internal.transport;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A WARN line a peer can provoke (a protocol error it chooses to make), at most once per interval;
 * the rest of the interval's occurrences go to DEBUG and are counted in the next WARN line. So a
 * misbehaving peer stays visible in a production log without being able to flood it. Not API.
 * Thread-safe; one instance per call site.
 */
public final class RateLimitedWarning {

    /** Default interval between two WARN lines of one call site. */
    public static final long DEFAULT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final AtomicLong nextWarnAt;
    private final AtomicLong suppressed = new AtomicLong();

    /** @param log where to write, at WARN or DEBUG */
    public RateLimitedWarning(Logger log) {
        this(log, DEFAULT_INTERVAL_NANOS, System::nanoTime);
    }

    RateLimitedWarning(Logger log, long intervalNanos, LongSupplier nanoTime) {
        this.log = log;
        this.intervalNanos = intervalNanos;
        this.nanoTime = nanoTime;
        this.nextWarnAt = new AtomicLong(nanoTime.getAsLong());
    }

    /**
     * Logs at WARN if the interval since the last WARN has passed, else at DEBUG.
     *
     * @param format an SLF4J format with two placeholders
     * @param first the first argument
     * @param second the second argument
     */
    public void log(String format, Object first, Object second) {
        long now = nanoTime.getAsLong();
        long next = nextWarnAt.get();
        if (now - next >= 0 && nextWarnAt.compareAndSet(next, now + intervalNanos)) {
            long quiet = suppressed.getAndSet(0);
            if (quiet == 0) {
                log.warn(format, first, second);
            } else {
                log.warn(format + " ({} more like it in the last {} s logged at DEBUG)", first, second, quiet,
                        TimeUnit.NANOSECONDS.toSeconds(intervalNanos));
            }
        } else {
            suppressed.incrementAndGet();
            log.debug(format, first, second);
        }
    }
}
