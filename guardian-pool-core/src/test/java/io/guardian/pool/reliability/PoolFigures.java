package io.guardian.pool.reliability;

import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.HandshakeException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PoolStats;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.peer.PeerId;
import java.util.LinkedHashMap;
import java.util.Map;

/** How the reliability tests put pool state and failures into their figures. */
final class PoolFigures {

    private PoolFigures() {
    }

    /** The gauges and counters of a statistics snapshot that the figures report. */
    static Map<String, Object> stats(PoolStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("active", s.activeConnections());
        m.put("idle", s.pooledConnections());
        m.put("pending", s.pendingConnections());
        m.put("waiting", s.waitingAcquires());
        m.put("open", s.openConnections());
        m.put("created", s.connectionsCreated());
        m.put("reused", s.connectionsReused());
        m.put("reuseRate", s.reuseRate());
        m.put("failed", s.connectionsFailed());
        m.put("timeouts", s.connectionsTimeout());
        m.put("rejectedByCircuitBreaker", s.rejectedByCircuitBreaker());
        m.put("evictions", s.evictions());
        m.put("openCircuits", s.openCircuits());
        m.put("eventsDropped", s.eventsDropped());
        return m;
    }

    /** A typed failure as the figures count it: the exception's name, with the handshake rule that failed. */
    static String describe(GuardianPoolException e) {
        String name = e.getClass().getSimpleName();
        if (e instanceof HandshakeException) {
            return name + "(" + ((HandshakeException) e).reason() + ")";
        }
        return name;
    }

    /** The peer's breaker state, closed for a peer the pool does not track (it would start closed). */
    static CircuitState breakerState(OptimizedConnectionPool pool, PeerId peer) {
        return pool.peer(peer).map(s -> s.circuitBreaker().state()).orElse(CircuitState.CLOSED);
    }
}
