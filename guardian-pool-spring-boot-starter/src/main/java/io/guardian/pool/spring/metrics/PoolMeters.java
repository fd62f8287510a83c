package io.guardian.pool.spring.metrics;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerSnapshot;
import io.guardian.pool.PoolObserver;
import io.guardian.pool.PoolStats;
import io.guardian.pool.event.ConnectionEvent;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meters of one pool, each tagged {@code pool} with the pool's name; see
 * {@link GuardianPoolMetrics} for the list. Not API.
 */
final class PoolMeters implements MeterBinder, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PoolMeters.class);

    /** How long one statistics snapshot answers the meters of a scrape. */
    static final long SNAPSHOT_MILLIS = 100;

    private final OptimizedConnectionPool pool;
    private final Tags tags;
    private final PerPeerMeters perPeer;
    /** The observer and event subscriptions of each bound registry, undone by {@link #close()}. */
    private final List<AutoCloseable> registrations = new ArrayList<>();
    /** Every meter registered, with its registry, removed by {@link #close()}. Guarded by {@code registrations}. */
    private final List<Map.Entry<MeterRegistry, Meter>> meters = new ArrayList<>();
    private volatile Snapshot snapshot;

    /**
     * @param pool the pool to measure
     * @param name the pool's name, its {@code pool} tag
     * @param perPeer whether to add meters tagged with each peer's id
     */
    PoolMeters(OptimizedConnectionPool pool, String name, boolean perPeer) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.tags = Tags.of(GuardianPoolMetrics.POOL_TAG, Objects.requireNonNull(name, "name"));
        this.perPeer = perPeer ? new PerPeerMeters(pool, tags) : null;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        List<Meter> bound = new ArrayList<>();
        for (String state : List.of("active", "idle", "pending")) {
            bound.add(Gauge.builder("guardian.pool.connections", this, m -> m.connections(state))
                    .description("Open connections by state: leased to callers, idle in the pool, being dialed")
                    .tags(tags).tag("state", state).baseUnit("connections").register(registry));
        }
        bound.add(gauge(registry, "guardian.pool.connections.max", "The configured max-total-connections",
                s -> s.maxTotalConnections()));
        // PoolStats.connectionsCreated. Not ".created": OpenMetrics reserves the _created suffix, and
        // Prometheus would read guardian_pool_connections_created as the gauge's family and drop it.
        bound.add(counter(registry, "established", "Dials that completed their handshake (connectionsCreated)",
                PoolStats::connectionsCreated));
        bound.add(counter(registry, "reused", "Leases served by an idle connection instead of a dial",
                PoolStats::connectionsReused));
        bound.add(counter(registry, "failed", "Dial attempts that failed other than by timing out, and connections"
                + " that failed in use", PoolStats::connectionsFailed));
        bound.add(counter(registry, "timeout", "Dial attempts that exceeded connection-timeout",
                PoolStats::connectionsTimeout));
        bound.add(counter(registry, "rejected", "Acquires refused at once because the peer's circuit breaker was open",
                PoolStats::rejectedByCircuitBreaker));
        bound.add(counter(registry, "evicted", "Connections the pool closed on its own: idle, expired, dead or"
                + " reclaimed", PoolStats::evictions));
        bound.add(counter(registry, "leaked", "Leases held longer than leak-detection-threshold",
                PoolStats::leaksSuspected));
        bound.add(counter(registry, "closed.by.peer", "Connections the peer closed in order (CLOSE, GoAway, FIN):"
                + " churn, not failures", PoolStats::closedByPeer));
        bound.add(counter(registry, "trimmed", "Idle connections the connection manager closed above its high"
                + " watermark", PoolStats::trimmed));
        bound.add(counter(registry, "adopted", "Connections peers dialed to an attached listener that joined the"
                + " pool", PoolStats::adoptedInbound));
        bound.add(Gauge.builder("guardian.pool.streams.active", this, m -> m.stats().activeStreams())
                .description("Leases out now: on libp2p each is a stream, several share a connection; on"
                        + " guardian-db one per active connection")
                .tags(tags).register(registry));
        bound.add(FunctionCounter.builder("guardian.pool.events.dropped", this, m -> m.stats().eventsDropped())
                .description("Events not delivered because listeners fell behind event-buffer-size")
                .tags(tags).register(registry));
        bound.add(gauge(registry, "guardian.pool.reuse.rate", "reused / (created + reused), 0 before any lease",
                PoolStats::reuseRate));
        bound.add(gauge(registry, "guardian.pool.acquires.waiting", "Callers waiting for a connection at a limit",
                PoolStats::waitingAcquires));
        bound.add(gauge(registry, "guardian.pool.peers", "Peers the pool tracks", PoolStats::peers));
        bound.add(gauge(registry, "guardian.pool.circuits.open", "Peers whose circuit breaker is open or half-open",
                PoolStats::openCircuits));
        // Seconds, Prometheus's base unit for time (promtool rejects _milliseconds); the pool counts in ms.
        bound.add(Gauge.builder("guardian.pool.latency", this, m -> m.stats().globalAvgLatencyMs() / 1000.0)
                .description("Mean of every round trip measured (handshakes, PINGs, requests), 0 before any")
                .baseUnit("seconds").tags(tags).register(registry));
        bound.add(Gauge.builder("guardian.pool.peers.unhealthy", pool, p -> p.peerSummaries().stream()
                .filter(PeerSnapshot::degraded).count())
                .description("Peers whose last health score was below 0.5, or that could not be reached")
                .tags(tags).register(registry));
        PoolTimers timers = new PoolTimers(registry, pool.config(), tags);
        bound.addAll(timers.meters());
        synchronized (registrations) {
            bound.forEach(meter -> meters.add(Map.entry(registry, meter)));
            registrations.add(pool.addObserver(timers));
            if (perPeer != null) {
                // A peer seen for the first time gets its series; off the pool's threads, since a
                // refresh walks every peer.
                registrations.add(pool.subscribeEvents(event -> {
                    if (event instanceof ConnectionEvent.Connected c) {
                        perPeer.connected(c.peerId());
                    }
                }));
                registrations.add(perPeer::close);
            }
        }
        if (perPeer != null) {
            perPeer.bindTo(registry);
        }
    }

    /** @return the per-peer meters, or {@code null} when {@code metrics.per-peer} is off */
    PerPeerMeters perPeer() {
        return perPeer;
    }

    /**
     * Stops recording, and removes every meter this binder registered (per-peer ones included)
     * from the registries it was bound to, so that a closed pool leaves no series behind.
     * Idempotent.
     */
    @Override
    public void close() {
        synchronized (registrations) {
            for (AutoCloseable r : registrations) {
                try {
                    r.close();
                } catch (Exception e) {
                    LOG.warn("Could not unregister {} from the pool; carrying on with the rest", r, e);
                }
            }
            registrations.clear();
            for (Map.Entry<MeterRegistry, Meter> m : meters) {
                m.getKey().remove(m.getValue());
            }
            meters.clear();
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

    private Gauge gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<PoolStats> f) {
        return Gauge.builder(name, this, m -> f.applyAsDouble(m.stats())).description(description).tags(tags)
                .register(registry);
    }

    private FunctionCounter counter(MeterRegistry registry, String what, String description,
            ToLongFunction<PoolStats> f) {
        return FunctionCounter.builder("guardian.pool.connections." + what, this, m -> f.applyAsLong(m.stats()))
                .description(description).tags(tags).register(registry);
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
