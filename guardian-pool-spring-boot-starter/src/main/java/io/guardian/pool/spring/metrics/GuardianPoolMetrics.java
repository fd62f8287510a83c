package io.guardian.pool.spring.metrics;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PoolObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Micrometer meters of one or more pools ({@code guardian_pool_*} in Prometheus). Every meter
 * carries the tag {@code pool}, the pool's name (its bean name: {@code guardianPool} for the
 * starter's own pool), so the series of several pools stay apart and one pool's series keep
 * their identity when a second pool is added:
 *
 * <ul>
 *   <li>{@code guardian.pool.connections} (gauge, tag {@code state}: active, idle, pending) and
 *       {@code guardian.pool.connections.max};
 *   <li>function counters {@code guardian.pool.connections.established} (the statistics'
 *       {@code connectionsCreated}; a {@code .created} name would clash in Prometheus, where
 *       {@code _created} is a reserved suffix), {@code .reused},
 *       {@code .failed}, {@code .timeout}, {@code .rejected} (refused by an open breaker),
 *       {@code .evicted}, {@code .leaked}, and {@code guardian.pool.events.dropped};
 *   <li>{@code guardian.pool.acquire} (timer, tag {@code outcome}: {@code reused}, {@code created},
 *       {@code failed}): how long each acquire took, from the call until the caller had a lease
 *       (or its exception); buckets from 1 µs to {@code acquire-deadline};
 *   <li>{@code guardian.pool.acquire.failures} (counter, tag {@code reason}: {@code circuit_open},
 *       {@code exhausted}, {@code dial_timeout}, {@code handshake}, {@code dial_failed},
 *       {@code pool_closed}, {@code interrupted}, {@code other}), every reason registered at zero;
 *   <li>{@code guardian.pool.connect} (timer): each successful dial attempt's TCP connect plus
 *       handshake; buckets from 100 µs to {@code connection-timeout};
 *   <li>{@code guardian.pool.connections.usage} (timer): how long callers held their leases, from
 *       acquire to close, to about 1 ms; buckets from 1 ms to {@code leak-detection-threshold}
 *       (1 minute when that is off). The name and meaning are HikariCP's
 *       ({@code hikaricp.connections.usage}), which Boot users know;
 *   <li>gauges {@code guardian.pool.reuse.rate}, {@code guardian.pool.acquires.waiting},
 *       {@code guardian.pool.peers}, {@code guardian.pool.circuits.open} (open or half-open),
 *       {@code guardian.pool.peers.unhealthy} (last score below 0.5, or unreachable) and
 *       {@code guardian.pool.latency} (mean of all round trips, in seconds like every time
 *       here: Prometheus's base unit);
 *   <li>per-peer meters (tag {@code peer}) only when {@code guardian.pool.metrics.per-peer=true};
 *       see {@link PerPeerMeters}.
 * </ul>
 *
 * Gauges and function counters read {@link OptimizedConnectionPool#getStats()}; one snapshot
 * serves all of them for 100 ms, so a scrape costs one walk over the pool, not one per meter. The
 * timers and the failure counter are fed by a {@link PoolObserver} called on the acquiring,
 * dialing and releasing threads, so they miss no sample (events are buffered and may be dropped
 * under load) and cost one meter update per acquire, dial and release. Histogram buckets are
 * fixed boundaries sized to the pool's settings (see {@code PoolTimers}).
 *
 * <p>{@link #close()} stops the recording and removes every meter this binder registered from
 * the registries it was bound to; the application context closes the binder right after the
 * pool closes, so a closed pool leaves no stale series behind.
 */
public final class GuardianPoolMetrics implements MeterBinder, AutoCloseable {

    /** The tag naming the pool on every meter. */
    public static final String POOL_TAG = "pool";
    /** The name of the starter's own pool bean, the {@code pool} tag of a pool given without a name. */
    public static final String DEFAULT_POOL = "guardianPool";

    private final List<PoolMeters> pools = new ArrayList<>();

    /**
     * The meters of one pool, tagged {@code pool=guardianPool}.
     *
     * @param pool the pool to measure
     * @param perPeer whether to add meters tagged with each peer's id
     */
    public GuardianPoolMetrics(OptimizedConnectionPool pool, boolean perPeer) {
        this(Map.of(DEFAULT_POOL, Objects.requireNonNull(pool, "pool")), perPeer);
    }

    /**
     * The meters of several pools, each tagged {@code pool} with its name.
     *
     * @param pools the pools by name (their bean names), in the order to register them
     * @param perPeer whether to add meters tagged with each peer's id
     */
    public GuardianPoolMetrics(Map<String, OptimizedConnectionPool> pools, boolean perPeer) {
        Objects.requireNonNull(pools, "pools");
        new LinkedHashMap<>(pools).forEach((name, pool) -> this.pools.add(new PoolMeters(pool, name, perPeer)));
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (PoolMeters p : pools) {
            p.bindTo(registry);
        }
    }

    /**
     * Registers per-peer series for the peers each pool tracks now and drops those of peers it
     * forgot; the auto-configuration calls it after each health pass. Does nothing when
     * {@code metrics.per-peer} is off or the meters were closed.
     */
    public void refreshPerPeer() {
        for (PoolMeters p : pools) {
            PerPeerMeters perPeer = p.perPeer();
            if (perPeer != null) {
                perPeer.refresh();
            }
        }
    }

    /**
     * Stops recording, and removes every meter this binder registered (per-peer ones included)
     * from the registries it was bound to, so that a closed pool leaves no series behind.
     * Idempotent.
     */
    @Override
    public void close() {
        for (PoolMeters p : pools) {
            p.close();
        }
    }
}
