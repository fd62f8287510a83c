package io.guardian.pool.spring.metrics;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerSnapshot;
import io.guardian.pool.PoolStats;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.event.EventSubscription;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The pool's Micrometer meters ({@code guardian_pool_*} in Prometheus):
 *
 * <ul>
 *   <li>{@code guardian.pool.connections} (gauge, tag {@code state}: active, idle, pending) and
 *       {@code guardian.pool.connections.max};
 *   <li>function counters {@code guardian.pool.connections.established} (the statistics'
 *       {@code connectionsCreated}; a {@code .created} name would clash in Prometheus, where
 *       {@code _created} is a reserved suffix), {@code .reused},
 *       {@code .failed}, {@code .timeout}, {@code .rejected} (refused by an open breaker),
 *       {@code .evicted}, {@code .leaked}, and {@code guardian.pool.events.dropped};
 *   <li>{@code guardian.pool.connect} (timer with a percentile histogram): the handshake round
 *       trip of each new connection, recorded from the pool's {@code Connected} events (an event
 *       dropped because listeners fell behind is a sample missed);
 *   <li>gauges {@code guardian.pool.reuse.rate}, {@code guardian.pool.acquires.waiting},
 *       {@code guardian.pool.peers}, {@code guardian.pool.circuits.open} (open or half-open),
 *       {@code guardian.pool.peers.unhealthy} (last score below 0.5) and
 *       {@code guardian.pool.latency} (mean of all round trips, ms);
 *   <li>per-peer meters (tag {@code peer}) only when {@code guardian.pool.metrics.per-peer=true};
 *       see {@link PerPeerMeters}.
 * </ul>
 *
 * Gauges and counters read {@link OptimizedConnectionPool#getStats()}; one snapshot serves all of
 * them for 100 ms, so a scrape costs one walk over the pool, not one per
 * meter. Close the binder (the context does) to stop recording connect times.
 */
public final class GuardianPoolMetrics implements MeterBinder, AutoCloseable {

    /** How long one statistics snapshot answers the meters of a scrape. */
    static final long SNAPSHOT_MILLIS = 100;

    private final OptimizedConnectionPool pool;
    private final PerPeerMeters perPeer;
    private final List<EventSubscription> subscriptions = new ArrayList<>();
    private volatile Snapshot snapshot;

    /**
     * @param pool the pool to measure
     * @param perPeer whether to add meters tagged with each peer's id
     */
    public GuardianPoolMetrics(OptimizedConnectionPool pool, boolean perPeer) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.perPeer = perPeer ? new PerPeerMeters(pool) : null;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (String state : List.of("active", "idle", "pending")) {
            Gauge.builder("guardian.pool.connections", this, m -> m.connections(state))
                    .description("Open connections by state: leased to callers, idle in the pool, being dialed")
                    .tag("state", state).baseUnit("connections").register(registry);
        }
        gauge(registry, "guardian.pool.connections.max", "The configured max-total-connections",
                s -> s.maxTotalConnections());
        // PoolStats.connectionsCreated. Not ".created": OpenMetrics reserves the _created suffix, and
        // Prometheus would read guardian_pool_connections_created as the gauge's family and drop it.
        counter(registry, "established", "Dials that completed their handshake (connectionsCreated)",
                PoolStats::connectionsCreated);
        counter(registry, "reused", "Leases served by an idle connection instead of a dial",
                PoolStats::connectionsReused);
        counter(registry, "failed", "Dial attempts that failed other than by timing out, and connections that"
                + " failed in use", PoolStats::connectionsFailed);
        counter(registry, "timeout", "Dial attempts that exceeded connection-timeout", PoolStats::connectionsTimeout);
        counter(registry, "rejected", "Acquires refused at once because the peer's circuit breaker was open",
                PoolStats::rejectedByCircuitBreaker);
        counter(registry, "evicted", "Connections the pool closed on its own: idle, expired, dead or reclaimed",
                PoolStats::evictions);
        counter(registry, "leaked", "Leases held longer than leak-detection-threshold", PoolStats::leaksSuspected);
        FunctionCounter.builder("guardian.pool.events.dropped", this, m -> m.stats().eventsDropped())
                .description("Events not delivered because listeners fell behind event-buffer-size")
                .register(registry);
        gauge(registry, "guardian.pool.reuse.rate", "reused / (created + reused), 0 before any lease",
                PoolStats::reuseRate);
        gauge(registry, "guardian.pool.acquires.waiting", "Callers waiting for a connection at a limit",
                PoolStats::waitingAcquires);
        gauge(registry, "guardian.pool.peers", "Peers the pool tracks", PoolStats::peers);
        gauge(registry, "guardian.pool.circuits.open", "Peers whose circuit breaker is open or half-open",
                PoolStats::openCircuits);
        Gauge.builder("guardian.pool.latency", this, m -> m.stats().globalAvgLatencyMs())
                .description("Mean of every round trip measured (handshakes, PINGs, requests), 0 before any")
                .baseUnit("milliseconds").register(registry);
        Gauge.builder("guardian.pool.peers.unhealthy", pool, p -> p.peers().stream().filter(PeerSnapshot::degraded)
                .count()).description("Peers whose last health score was below 0.5").register(registry);
        Timer connect = Timer.builder("guardian.pool.connect")
                .description("Handshake round trip of each new connection, its first latency sample")
                .publishPercentileHistogram().register(registry);
        synchronized (subscriptions) {
            subscriptions.add(pool.subscribeEvents(event -> {
                if (event instanceof ConnectionEvent.Connected c) {
                    connect.record(Math.round(c.latencyMs() * 1_000_000.0), TimeUnit.NANOSECONDS);
                    if (perPeer != null) {
                        perPeer.connected(c.peerId());
                    }
                }
            }));
        }
        if (perPeer != null) {
            perPeer.bindTo(registry);
        }
    }

    /**
     * The per-peer meters, when enabled, so the auto-configuration can refresh them after each
     * health pass.
     *
     * @return the per-peer meters, or {@code null} when {@code metrics.per-peer} is off
     */
    public PerPeerMeters perPeer() {
        return perPeer;
    }

    /** Stops recording connect times. */
    @Override
    public void close() {
        synchronized (subscriptions) {
            subscriptions.forEach(EventSubscription::close);
            subscriptions.clear();
        }
    }

    private double connections(String state) {
        PoolStats s = stats();
        return switch (state) {
            case "active" -> s.activeConnections();
            case "idle" -> s.pooledConnections();
            default -> s.pendingConnections();
        };
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<PoolStats> f) {
        Gauge.builder(name, this, m -> f.applyAsDouble(m.stats())).description(description).register(registry);
    }

    private void counter(MeterRegistry registry, String what, String description, ToLongFunction<PoolStats> f) {
        FunctionCounter.builder("guardian.pool.connections." + what, this, m -> f.applyAsLong(m.stats()))
                .description(description).register(registry);
    }

    private PoolStats stats() {
        long now = System.nanoTime();
        Snapshot s = snapshot;
        if (s == null || now - s.takenAt > TimeUnit.MILLISECONDS.toNanos(SNAPSHOT_MILLIS)) {
            s = new Snapshot(pool.getStats(), now);
            snapshot = s;
        }
        return s.stats;
    }

    private record Snapshot(PoolStats stats, long takenAt) {
    }
}
