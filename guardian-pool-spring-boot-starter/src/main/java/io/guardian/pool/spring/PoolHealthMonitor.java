package io.guardian.pool.spring;

import io.guardian.pool.HealthReport;
import io.guardian.pool.OptimizedConnectionPool;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

/**
 * Runs {@link OptimizedConnectionPool#checkHealth()} every {@code health-check-interval}, with a
 * fixed delay between passes (a pass may wait up to about {@code ping-timeout} for PONGs), on a
 * Spring {@link ThreadPoolTaskScheduler} that this bean owns: one daemon thread named
 * {@code guardian-pool-health-1}. The scheduler is not a bean, so the application needs no
 * {@code @EnableScheduling}, and one that has it keeps its own {@code taskScheduler} (Spring Boot
 * creates that only when no other scheduler bean exists).
 *
 * <p>After each pass the {@link HealthReport} is published as an application event
 * ({@code @EventListener void on(HealthReport report)}). Switched off by
 * {@code guardian.pool.health.enabled=false}.
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
    private ThreadPoolTaskScheduler scheduler;

    /**
     * @param pool the pool to check; its {@code health-check-interval} sets the period
     * @param publisher where each pass's report is published
     */
    public PoolHealthMonitor(OptimizedConnectionPool pool, ApplicationEventPublisher publisher) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.interval = pool.config().healthCheckInterval();
    }

    @Override
    public synchronized void start() {
        if (scheduler != null) {
            return;
        }
        ThreadPoolTaskScheduler s = new ThreadPoolTaskScheduler();
        s.setPoolSize(1);
        s.setDaemon(true);
        s.setThreadNamePrefix("guardian-pool-health-");
        // On stop: cancel the schedule without interrupting a pass under way (it would count
        // its outstanding PINGs as lost) and without waiting for it; the pool's close ends it.
        s.setWaitForTasksToCompleteOnShutdown(true);
        s.setAwaitTerminationMillis(0);
        s.initialize();
        s.scheduleWithFixedDelay(this::runPass, Instant.now().plus(interval), interval);
        scheduler = s;
        log.debug("Guardian Pool health monitor started, every {}", interval);
    }

    private void runPass() {
        if (pool.isClosed()) {
            return;
        }
        try {
            HealthReport report = pool.checkHealth();
            lastReport = report;
            passes.incrementAndGet();
            publisher.publishEvent(report);
        } catch (RuntimeException e) {
            // A pass racing the pool's close fails by design; anything else is worth a warning.
            if (!pool.isClosed()) {
                log.warn("Guardian Pool health pass failed; the next one runs in {}", interval, e);
            }
        }
    }

    @Override
    public synchronized void stop() {
        ThreadPoolTaskScheduler s = scheduler;
        scheduler = null;
        if (s != null) {
            s.shutdown();
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return scheduler != null;
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
     * How many passes completed since the context started.
     *
     * @return the count
     */
    public long passes() {
        return passes.get();
    }

    /**
     * The period between the end of one pass and the start of the next.
     *
     * @return {@code health-check-interval} of the pool
     */
    public Duration interval() {
        return interval;
    }
}
