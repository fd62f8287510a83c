package io.guardian.pool.spring.actuate;

import io.guardian.pool.HealthReport;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerSnapshot;
import io.guardian.pool.PoolStats;
import io.guardian.pool.breaker.CircuitState;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The pool's health, shown as {@code connectionPool} in {@code /actuator/health} (the bean is
 * named {@code connectionPoolHealthIndicator}).
 *
 * <p>UP while the pool is open: a peer with an open circuit breaker is that peer's trouble, not
 * the application's, so open breakers are listed in the details and only turn the status DOWN
 * when {@code guardian.pool.health.down-on-open-circuit=true}. DOWN once the pool is closed.
 */
public class ConnectionPoolHealthIndicator implements HealthIndicator {

    /** How many peers with a non-closed breaker the details list by name. */
    static final int MAX_LISTED = 20;

    private final OptimizedConnectionPool pool;
    private final boolean downOnOpenCircuit;
    private final Supplier<HealthReport> lastReport;

    /**
     * @param pool the pool
     * @param downOnOpenCircuit whether an open breaker makes the status DOWN
     * @param lastReport the last health pass's report, or {@code null} when none ran (or the
     *     monitor is off)
     */
    public ConnectionPoolHealthIndicator(OptimizedConnectionPool pool, boolean downOnOpenCircuit,
            Supplier<HealthReport> lastReport) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.downOnOpenCircuit = downOnOpenCircuit;
        this.lastReport = Objects.requireNonNull(lastReport, "lastReport");
    }

    @Override
    public Health health() {
        if (pool.isClosed()) {
            return Health.down().withDetail("closed", true).build();
        }
        PoolStats stats = pool.getStats();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("activeConnections", stats.activeConnections());
        details.put("idleConnections", stats.pooledConnections());
        details.put("pendingConnections", stats.pendingConnections());
        details.put("waitingAcquires", stats.waitingAcquires());
        details.put("maxTotalConnections", stats.maxTotalConnections());
        details.put("peers", stats.peers());
        details.put("openCircuits", stats.openCircuits());
        List<PeerSnapshot> peers = pool.peers();
        details.put("degradedPeers", peers.stream().filter(PeerSnapshot::degraded).count());
        Map<String, String> open = new LinkedHashMap<>();
        peers.stream().filter(p -> p.circuitBreaker().state() != CircuitState.CLOSED)
                .sorted((a, b) -> a.peerId().toBase58().compareTo(b.peerId().toBase58())).limit(MAX_LISTED)
                .forEach(p -> open.put(p.peerId().toBase58(), p.circuitBreaker().state().name()));
        if (!open.isEmpty()) {
            details.put("openCircuitPeers", open);
        }
        HealthReport report = lastReport.get();
        if (report != null) {
            details.put("lastHealthCheck", report.startedAt().toString());
        }
        boolean down = downOnOpenCircuit && !open.isEmpty();
        return (down ? Health.down() : Health.up()).withDetails(details).build();
    }
}
