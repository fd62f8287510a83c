package io.guardian.pool.spring;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.event.EventSubscription;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;

/**
 * Republishes every {@link ConnectionEvent} of the pool as a Spring application event, so that
 * {@code @EventListener void on(ConnectionEvent.CircuitBreakerOpen e)} (or any other record, or
 * {@link ConnectionEvent} itself) receives it.
 *
 * <p>Listeners run on the pool's single event thread, in the order the pool raised the events:
 * a slow listener delays the others and, past {@code guardian.pool.event-buffer-size}, makes the
 * pool drop events (counted in {@code PoolStats.eventsDropped}); hand long work to an executor.
 * Subscribed while the context runs: started before, and stopped after, the graceful shutdown,
 * so the events raised while leases drain are published too.
 */
public final class PoolEventBridge implements SmartLifecycle {

    /** Starts before the other parts of the starter and stops after them. */
    public static final int PHASE = PoolGracefulShutdown.PHASE - 1;

    private static final Logger log = LoggerFactory.getLogger(PoolEventBridge.class);

    private final OptimizedConnectionPool pool;
    private final ApplicationEventPublisher publisher;
    private volatile EventSubscription subscription;

    /**
     * @param pool the pool whose events to publish
     * @param publisher the application context
     */
    public PoolEventBridge(OptimizedConnectionPool pool, ApplicationEventPublisher publisher) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.publisher = Objects.requireNonNull(publisher, "publisher");
    }

    @Override
    public synchronized void start() {
        if (subscription == null) {
            subscription = pool.subscribeEvents(this::publish);
        }
    }

    private void publish(ConnectionEvent event) {
        try {
            publisher.publishEvent(event);
        } catch (RuntimeException e) {
            // The pool would log it too, but without saying which kind of listener failed.
            log.warn("A Spring listener of Guardian Pool events failed on {}; it keeps receiving events", event, e);
        }
    }

    @Override
    public synchronized void stop() {
        EventSubscription s = subscription;
        subscription = null;
        if (s != null) {
            s.close();
        }
    }

    @Override
    public boolean isRunning() {
        return subscription != null;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
