package io.guardian.pool.spring.metrics;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerSnapshot;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.peer.PeerId;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * Meters tagged with each peer's id (and the pool's {@code pool} tag), switched on by
 * {@code guardian.pool.metrics.per-peer=true}:
 * {@code guardian.pool.peer.connections} (tag {@code state}: active, idle, pending),
 * {@code guardian.pool.peer.health.score}, {@code guardian.pool.peer.latency} (seconds),
 * {@code guardian.pool.peer.packet.loss}, {@code guardian.pool.peer.circuit.open} (1 while
 * the breaker is open or half-open) and {@code guardian.pool.peer.streams} (leases out to the
 * peer; on libp2p streams across its connections).
 *
 * <p>The set of peers is refreshed by {@link #refresh()}, which the auto-configuration calls
 * after every health pass (peers the pool no longer tracks lose their series then), and when a
 * peer without series connects. Values are
 * read from the pool at each scrape; a score, latency or loss not measured yet reads as NaN.
 */
public final class PerPeerMeters {

    private final OptimizedConnectionPool pool;
    /** The pool's own tags ({@code pool}), on every row. */
    private final Tags poolTags;
    private final List<Family> families = new ArrayList<>();
    private volatile Set<PeerId> known = Set.of();
    /** Set by {@link #close()}: no series are registered after it. Guarded by this. */
    private boolean closed;

    PerPeerMeters(OptimizedConnectionPool pool, Tags poolTags) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.poolTags = Objects.requireNonNull(poolTags, "poolTags");
    }

    synchronized void bindTo(MeterRegistry registry) {
        families.add(new Family(MultiGauge.builder("guardian.pool.peer.connections")
                .description("A peer's open connections by state").baseUnit("connections").register(registry),
                null));
        family(registry, "guardian.pool.peer.health.score", "A peer's last health score, 0 to 1", null,
                p -> p.health() == null ? Double.NaN : p.health().healthScore());
        family(registry, "guardian.pool.peer.latency", "A peer's moving average round trip", "seconds",
                p -> p.health() == null ? Double.NaN : p.health().currentLatencyMs() / 1000.0);
        family(registry, "guardian.pool.peer.packet.loss", "Share of a peer's recent PINGs without a PONG", null,
                p -> p.health() == null ? Double.NaN : p.health().packetLossRate());
        family(registry, "guardian.pool.peer.streams", "Leases out to a peer: on libp2p, streams across its "
                + "connections", null, PeerSnapshot::streams);
        family(registry, "guardian.pool.peer.circuit.open", "1 while a peer's circuit breaker is open or half-open",
                null, p -> p.circuitBreaker().state() == CircuitState.CLOSED ? 0 : 1);
        refresh();
    }

    private void family(MeterRegistry registry, String name, String description, String unit,
            ToDoubleFunction<PeerSnapshot> value) {
        families.add(new Family(MultiGauge.builder(name).description(description).baseUnit(unit).register(registry),
                value));
    }

    /**
     * Registers series for the peers the pool tracks now and drops those of peers it forgot. Does
     * nothing once the meters were closed.
     */
    public synchronized void refresh() {
        if (closed) {
            return;
        }
        List<PeerId> peers = pool.peerSummaries().stream().map(PeerSnapshot::peerId).toList();
        known = Set.copyOf(peers);
        for (Family f : families) {
            List<MultiGauge.Row<?>> rows = new ArrayList<>();
            for (PeerId id : peers) {
                Tags tags = poolTags.and("peer", id.toBase58());
                if (f.value == null) {
                    rows.add(row(tags.and("state", "active"), id, PeerSnapshot::leased));
                    rows.add(row(tags.and("state", "idle"), id, PeerSnapshot::idle));
                    rows.add(row(tags.and("state", "pending"), id, PeerSnapshot::pending));
                } else {
                    rows.add(row(tags, id, f.value));
                }
            }
            f.gauge.register(rows, true);
        }
    }

    /** Removes every per-peer series from the registries; later refreshes add none. Idempotent. */
    synchronized void close() {
        closed = true;
        known = Set.of();
        for (Family f : families) {
            f.gauge.register(List.of(), true);
        }
        families.clear();
    }

    /** A peer connected: give it series unless it has them. */
    void connected(PeerId peer) {
        if (!known.contains(peer)) {
            refresh();
        }
    }

    private MultiGauge.Row<?> row(Tags tags, PeerId id, ToDoubleFunction<PeerSnapshot> value) {
        return MultiGauge.Row.of(tags, pool, p -> p.peerSummary(id).map(value::applyAsDouble).orElse(Double.NaN));
    }

    /** One multi-gauge and the value of its rows; {@code null} for the connections-by-state one. */
    private record Family(MultiGauge gauge, ToDoubleFunction<PeerSnapshot> value) {
    }
}
