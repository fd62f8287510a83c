package io.guardian.pool.spring;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PoolStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;

/**
 * Closes the pool gracefully when the application context closes, with
 * {@link OptimizedConnectionPool#close(Duration)}: new acquires and waiting callers fail at once,
 * callers holding leases get up to {@code guardian.pool.shutdown.grace-period} to finish and
 * return them, then whatever is still leased is closed under its holder (who gets
 * {@code ConnectionClosedException}). The wait ends as soon as the last lease comes back: the
 * pool signals each return, nothing polls.
 *
 * <p>Stops in a phase after Spring Boot's web server has shut down gracefully, so requests still
 * being served can finish their calls through the pool first. A context that is only stopped
 * (not closed) keeps its pool: a closed pool cannot be started again, and the context may be.
 * The pool bean's destroy method then finds the pool closed already.
 *
 * <p>With several pools, all of them close at the same time, each on its own thread, within the
 * one grace period: the budget the shutdown adds does not grow with the number of pools.
 */
public final class PoolGracefulShutdown implements SmartLifecycle {

    /**
     * Below the web server's graceful-shutdown and stop phases
     * ({@code DEFAULT_PHASE - 1024} and {@code - 2048}), so this stops after them.
     */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 3072;

    private static final Logger log = LoggerFactory.getLogger(PoolGracefulShutdown.class);

    /** The pools by name; each closed with the grace period, all at once. */
    private final Map<String, OptimizedConnectionPool> pools;
    private final Duration gracePeriod;
    private final ConfigurableApplicationContext context;
    private volatile boolean running;
    private volatile boolean draining;

    /**
     * @param pool the pool to close
     * @param gracePeriod the longest wait for leases; zero closes at once
     * @param context the context whose closing closes the pool (a mere stop does not)
     */
    public PoolGracefulShutdown(OptimizedConnectionPool pool, Duration gracePeriod,
            ConfigurableApplicationContext context) {
        this(Map.of("guardianPool", Objects.requireNonNull(pool, "pool")), gracePeriod, context);
    }

    /**
     * @param pools the pools to close, by name (their bean names, for the log)
     * @param gracePeriod the longest wait for leases, shared by all pools; zero closes at once
     * @param context the context whose closing closes the pools (a mere stop does not)
     */
    public PoolGracefulShutdown(Map<String, OptimizedConnectionPool> pools, Duration gracePeriod,
            ConfigurableApplicationContext context) {
        this.pools = new LinkedHashMap<>(Objects.requireNonNull(pools, "pools"));
        this.gracePeriod = Objects.requireNonNull(gracePeriod, "gracePeriod");
        this.context = Objects.requireNonNull(context, "context");
        if (gracePeriod.isNegative()) {
            throw new IllegalArgumentException("gracePeriod must be >= 0, was " + gracePeriod);
        }
    }

    @Override
    public void start() {
        running = true;
    }

    /** When the context is closing: closes the pool, waiting within the grace period for leases. */
    @Override
    public void stop() {
        if (!running) {
            return;
        }
        try {
            if (context.isClosed()) {
                draining = true;
                closeAllGracefully();
            } else {
                log.debug("Context stopped but not closed: Guardian Pool stays open");
            }
        } finally {
            draining = false;
            running = false;
        }
    }

    /** Closes every pool at once: the others on threads of their own, the last on this one. */
    private void closeAllGracefully() {
        List<Thread> others = new ArrayList<>();
        Map.Entry<String, OptimizedConnectionPool> last = null;
        for (Map.Entry<String, OptimizedConnectionPool> e : pools.entrySet()) {
            if (last != null) {
                Map.Entry<String, OptimizedConnectionPool> p = last;
                Thread t = new Thread(() -> closeGracefully(p.getKey(), p.getValue()),
                        "guardian-pool-shutdown-" + p.getKey());
                t.start();
                others.add(t);
            }
            last = e;
        }
        if (last != null) {
            closeGracefully(last.getKey(), last.getValue());
        }
        for (Thread t : others) {
            try {
                // Each close is bounded by the grace period (then leases are closed under their holders).
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                log.warn("Interrupted while waiting for Guardian pools to close; the rest close with the context");
                return;
            }
        }
    }

    private void closeGracefully(String name, OptimizedConnectionPool pool) {
        if (pool.isClosed()) {
            return;
        }
        PoolStats stats = pool.getStats();
        if (stats.activeConnections() > 0) {
            log.info("Closing Guardian Pool {}: waiting up to {} for {} leased connections to be returned", name,
                    gracePeriod, stats.activeConnections());
        }
        long start = System.nanoTime();
        boolean allReturned = pool.close(gracePeriod);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (allReturned) {
            log.info("Guardian Pool {} closed after {} ms", name, tookMillis);
        } else {
            log.warn("Guardian Pool {} shutdown grace of {} is over with connections still leased; closed them"
                    + " under their holders (raise guardian.pool.shutdown.grace-period to wait longer)", name,
                    gracePeriod);
        }
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
