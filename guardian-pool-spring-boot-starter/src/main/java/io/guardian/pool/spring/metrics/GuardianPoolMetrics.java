package io.guardian.pool.spring.metrics;

import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerSnapshot;
import io.guardian.pool.PoolObserver;
import io.guardian.pool.PoolStats;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.peer.PeerId;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *   <li>{@code guardian.pool.acquire} (timer with a percentile histogram, tag {@code outcome}:
 *       {@code reused}, {@code created}, {@code failed}): how long each acquire took, from the call
 *       until the caller had a lease (or its exception);
 *   <li>{@code guardian.pool.connect} (timer with a percentile histogram): each successful dial
 *       attempt's TCP connect plus handshake;
 *   <li>gauges {@code guardian.pool.reuse.rate}, {@code guardian.pool.acquires.waiting},
 *       {@code guardian.pool.peers}, {@code guardian.pool.circuits.open} (open or half-open),
 *       {@code guardian.pool.peers.unhealthy} (last score below 0.5, or unreachable) and
 *       {@code guardian.pool.latency} (mean of all round trips, in seconds like every time
 *       here: Prometheus's base unit);
 *   <li>per-peer meters (tag {@code peer}) only when {@code guardian.pool.metrics.per-peer=true};
 *       see {@link PerPeerMeters}.
 * </ul>
 *
 * Gauges and counters read {@link OptimizedConnectionPool#getStats()}; one snapshot serves all of
 * them for 100 ms, so a scrape costs one walk over the pool, not one per meter. The two timers
 * are fed by a {@link PoolObserver} called on the acquiring and dialing threads, so they miss no
 * sample (events are buffered and may be dropped under load) and cost one timer update per
 * acquire and per dial. Close the binder (the context does) to stop recording them.
 */
public final class GuardianPoolMetrics implements MeterBinder, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GuardianPoolMetrics.class);

    /** How long one statistics snapshot answers the meters of a scrape. */
    static final long SNAPSHOT_MILLIS = 100;

    private final OptimizedConnectionPool pool;
    private final PerPeerMeters perPeer;
    /** The observer and event subscriptions of each bound registry, undone by {@link #close()}. */
    private final List<AutoCloseable> registrations = new ArrayList<>();
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
        counter(registry, "closed.by.peer", "Connections the peer closed in order (CLOSE, GoAway, FIN): churn, not"
                + " failures", PoolStats::closedByPeer);
        counter(registry, "trimmed", "Idle connections the connection manager closed above its high watermark",
                PoolStats::trimmed);
        counter(registry, "adopted", "Connections peers dialed to an attached listener that joined the pool",
                PoolStats::adoptedInbound);
        Gauge.builder("guardian.pool.streams.active", this, m -> m.stats().activeStreams())
                .description("Leases out now: on libp2p each is a stream, several share a connection; on guardian-db"
                        + " one per active connection")
                .register(registry);
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
        // Seconds, Prometheus's base unit for time (promtool rejects _milliseconds); the pool counts in ms.
        Gauge.builder("guardian.pool.latency", this, m -> m.stats().globalAvgLatencyMs() / 1000.0)
                .description("Mean of every round trip measured (handshakes, PINGs, requests), 0 before any")
                .baseUnit("seconds").register(registry);
        Gauge.builder("guardian.pool.peers.unhealthy", pool, p -> p.peerSummaries().stream().filter(PeerSnapshot::degraded)
                .count()).description("Peers whose last health score was below 0.5, or that could not be reached")
                .register(registry);
        Timer connect = Timer.builder("guardian.pool.connect")
                .description("TCP connect plus handshake of each successful dial attempt")
                .publishPercentileHistogram().register(registry);
        Timer reused = acquireTimer(registry, "reused");
        Timer created = acquireTimer(registry, "created");
        Timer failed = acquireTimer(registry, "failed");
        synchronized (registrations) {
            registrations.add(pool.addObserver(new Timings(reused, created, failed, connect)));
            if (perPeer != null) {
                // A peer seen for the first time gets its series; off the pool's threads, since a
                // refresh walks every peer.
                registrations.add(pool.subscribeEvents(event -> {
                    if (event instanceof ConnectionEvent.Connected c) {
                        perPeer.connected(c.peerId());
                    }
                }));
            }
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

    /** Stops recording acquire and connect times. */
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
        }
    }

    private static Timer acquireTimer(MeterRegistry registry, String outcome) {
        return Timer.builder("guardian.pool.acquire")
                .description("Time from asking the pool for a connection until the lease (or the failure): reused"
                        + " an existing connection, created one by dialing, or failed")
                .tag("outcome", outcome).publishPercentileHistogram().register(registry);
    }

    /** Feeds the timers from the pool's threads: one timer update per call, nothing else. */
    private record Timings(Timer reused, Timer created, Timer failed, Timer connect) implements PoolObserver {

        @Override
        public void acquired(PeerId peer, long waitedNanos, boolean wasReused) {
            (wasReused ? reused : created).record(waitedNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void acquireFailed(PeerId peer, long waitedNanos, GuardianPoolException cause) {
            failed.record(waitedNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void dialed(PeerId peer, long connectAndHandshakeNanos) {
            connect.record(connectAndHandshakeNanos, TimeUnit.NANOSECONDS);
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
