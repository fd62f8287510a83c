package io.guardian.pool.spring;

import io.guardian.pool.HealthReport;
import io.guardian.pool.OptimizedConnectionPool;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;

/**
 * Switches on the pool's own health monitor ({@link OptimizedConnectionPool#startHealthMonitor()}:
 * PINGs and scores every {@code health-check-interval}, on the pool's housekeeping thread
 * {@code guardian-pool-housekeeper}) and republishes the report of every background pass as an
 * application event ({@code @EventListener void on(HealthReport report)}), delivered on the pool's
 * event thread {@code guardian-pool-events}. The starter schedules nothing of its own: core's
 * housekeeping (idle eviction, retirement, leak checks) is always on and keeps its cadence, so leak
 * reports come as soon as core raises them. The application needs no {@code @EnableScheduling}.
 * Switched off by {@code guardian.pool.health.enabled=false} (housekeeping still runs in core).
 */
public final class PoolHealthMonitor implements SmartLifecycle {

    /** Stops just before the graceful shutdown waits for leases. */
    public static final int PHASE = PoolGracefulShutdown.PHASE + 1;

    private static final Logger log = LoggerFactory.getLogger(PoolHealthMonitor.class);

    private final OptimizedConnectionPool pool;
    private final ApplicationEventPublisher publisher;
    private final Duration interval;
    private final AtomicLong passes = new AtomicLong();
    private volatile HealthReport lastReport;
    private AutoCloseable reports;
    private AutoCloseable pings;

    /**
     * @param pool the pool to monitor; its {@code health-check-interval} sets the period
     * @param publisher where each pass's report is published
     */
    public PoolHealthMonitor(OptimizedConnectionPool pool, ApplicationEventPublisher publisher) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.interval = pool.config().healthCheckInterval();
    }

    @Override
    public synchronized void start() {
        if (pings != null || pool.isClosed()) {
            return;
        }
        reports = pool.onHealthReport(this::republish);
        pings = pool.startHealthMonitor();
        log.debug("Guardian Pool health monitor started, every {}", interval);
    }

    /** On the pool's event thread; a throwing application listener is logged there and delivery goes on. */
    private void republish(HealthReport report) {
        lastReport = report;
        passes.incrementAndGet();
        publisher.publishEvent(report);
    }

    @Override
    public synchronized void stop() {
        closeQuietly(pings);
        closeQuietly(reports);
        pings = null;
        reports = null;
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            log.debug("Stopping the Guardian Pool health monitor: {}", e.toString());
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return pings != null;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /**
     * The report of the last pass that completed, for the health indicator and diagnostics.
     *
     * @return the report, or empty before the first pass
     */
    public Optional<HealthReport> lastReport() {
        return Optional.ofNullable(lastReport);
    }

    /**
     * How many background passes reported since the context started.
     *
     * @return the count
     */
    public long passes() {
        return passes.get();
    }

    /**
     * The pool this monitors, so the health indicator of that pool finds its last report.
     *
     * @return the pool
     */
    public OptimizedConnectionPool pool() {
        return pool;
    }

    /**
     * The period between passes.
     *
     * @return {@code health-check-interval} of the pool
     */
    public Duration interval() {
        return interval;
    }
}
