package io.guardian.pool.spring;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PoolStats;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Gives the pool's callers a bounded grace when the application context closes: the context's
 * shutdown waits until no connection is leased, no dial is under way and no caller waits, or
 * until {@code guardian.pool.shutdown.grace-period} has passed, whichever comes first. Then the
 * pool bean's destroy method closes it (under any callers still holding leases, who get
 * {@code ConnectionClosedException}).
 *
 * <p>Stops in a phase after Spring Boot's web server has shut down gracefully, so requests still
 * being served can finish their calls through the pool. During the grace the pool still serves
 * new acquires. The pool offers no signal when its last lease is returned, so this watches
 * {@link OptimizedConnectionPool#getStats()} every 10 ms while it waits.
 */
public final class PoolGracefulShutdown implements SmartLifecycle {

    /**
     * Below the web server's graceful-shutdown and stop phases
     * ({@code DEFAULT_PHASE - 1024} and {@code - 2048}), so this stops after them.
     */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 3072;

    static final long POLL_MILLIS = 10;

    private static final Logger log = LoggerFactory.getLogger(PoolGracefulShutdown.class);

    private final OptimizedConnectionPool pool;
    private final Duration gracePeriod;
    private volatile boolean running;
    private volatile boolean draining;

    /**
     * @param pool the pool to drain
     * @param gracePeriod the longest wait; zero closes at once
     */
    public PoolGracefulShutdown(OptimizedConnectionPool pool, Duration gracePeriod) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.gracePeriod = Objects.requireNonNull(gracePeriod, "gracePeriod");
        if (gracePeriod.isNegative()) {
            throw new IllegalArgumentException("gracePeriod must be >= 0, was " + gracePeriod);
        }
    }

    @Override
    public void start() {
        running = true;
    }

    /** Waits, within the grace period, for the pool to become quiet. */
    @Override
    public void stop() {
        if (!running) {
            return;
        }
        draining = true;
        try {
            drain();
        } finally {
            draining = false;
            running = false;
        }
    }

    private void drain() {
        if (pool.isClosed()) {
            return;
        }
        long start = System.nanoTime();
        long deadline = start + gracePeriod.toNanos();
        PoolStats stats = pool.getStats();
        if (quiet(stats)) {
            return;
        }
        log.info("Waiting up to {} for Guardian Pool to go quiet before closing: {} leased, {} dialing, {} waiting",
                gracePeriod, stats.activeConnections(), stats.pendingConnections(), stats.waitingAcquires());
        while (!quiet(stats) && !pool.isClosed() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS));
            if (Thread.currentThread().isInterrupted()) {
                break;
            }
            stats = pool.getStats();
        }
        if (quiet(stats) || pool.isClosed()) {
            log.info("Guardian Pool went quiet after {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        } else {
            log.warn("Guardian Pool shutdown grace of {} is over with {} connections still leased, {} dialing and {}"
                    + " callers waiting; closing under them (raise guardian.pool.shutdown.grace-period to wait"
                    + " longer)", gracePeriod, stats.activeConnections(), stats.pendingConnections(),
                    stats.waitingAcquires());
        }
    }

    private static boolean quiet(PoolStats stats) {
        return stats.activeConnections() == 0 && stats.pendingConnections() == 0 && stats.waitingAcquires() == 0;
    }

    /**
     * Whether the context's shutdown is waiting on the pool right now, for diagnostics.
     *
     * @return {@code true} while inside the grace period
     */
    public boolean isDraining() {
        return draining;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
