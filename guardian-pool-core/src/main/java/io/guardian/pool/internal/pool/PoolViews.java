package io.guardian.pool.internal.pool;

import io.guardian.pool.ConnectionInfo;
import io.guardian.pool.ConnectionStatus;
import io.guardian.pool.PeerSnapshot;
import io.guardian.pool.PoolStats;
import io.guardian.pool.PooledConnection;
import io.guardian.pool.breaker.CircuitBreakerView;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.health.HealthScore;
import io.guardian.pool.health.PeerHealthMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import io.guardian.pool.peer.PeerId;

/** Builds the public snapshots ({@link PoolStats}, {@link PeerSnapshot}) from engine state. Not API. */
public final class PoolViews {

    private PoolViews() {
    }

    /**
     * The pool's statistics now; weakly consistent (peers are summed one lock at a time).
     *
     * @param e the engine
     * @return the statistics
     */
    public static PoolStats stats(PoolEngine e) {
        int active;
        int streams;
        int pooled;
        int pending;
        int waiting;
        int peers;
        int openCircuits;
        long bandwidth;
        long reused;
        int attempts = 0;
        long retiredBefore;
        do {
            // Retried when a peer was retired meanwhile (rare: peers unused for the retention
            // period), so that its reuses are counted once, neither twice nor not at all, and the
            // reuse counter never goes backwards.
            retiredBefore = e.counters().retiredReuses();
            active = 0;
            streams = 0;
            pooled = 0;
            pending = 0;
            waiting = e.admission().waiting();
            peers = 0;
            openCircuits = 0;
            bandwidth = 0;
            reused = retiredBefore;
            for (PeerSlot s : e.slotsView()) {
                synchronized (s) {
                    if (s.retired) {
                        continue;
                    }
                    reused += s.reuses;
                    peers++;
                    active += s.busy;
                    streams += s.leased;
                    pooled += s.idleCount;
                    pending += s.dialing;
                    waiting += s.waiterCount();
                    if (s.breaker.state != CircuitState.CLOSED) {
                        openCircuits++;
                    }
                    bandwidth += s.bandwidthBps; // kept per slot: a scrape reads no connection
                }
            }
        } while (e.counters().retiredReuses() != retiredBefore && ++attempts < 3);
        long created = e.counters().created();
        double avgConnect = e.counters().avgDialMillis();
        double reuseRate = created + reused == 0 ? 0.0 : reused / (double) (created + reused);
        return new PoolStats(active, pooled, created, reused, e.counters().failed(), e.counters().timeouts(), avgConnect, reuseRate,
                bandwidth, e.counters().avgLatencyMillis(), waiting, pending, e.counters().rejected(), e.counters().evictions(), e.counters().leaks(),
                peers, openCircuits, e.events().dropped(), e.config().maxTotalConnections(), streams,
                e.counters().closedByRemote(), e.counters().trimmedCount(), e.counters().adoptedCount());
    }

    /**
     * Every tracked peer.
     *
     * @param e the engine
     * @param withConnections whether to list each peer's connections (a scrape does not need them)
     * @return snapshots, in no particular order
     */
    public static List<PeerSnapshot> peers(PoolEngine e, boolean withConnections) {
        List<PeerSnapshot> out = new ArrayList<>();
        for (PeerSlot s : e.slotsView()) {
            out.add(build(e, s, withConnections));
        }
        return out;
    }

    /**
     * One peer, if tracked.
     *
     * @param e the engine
     * @param peer the peer, not {@code null}
     * @param withConnections whether to list its connections
     * @return its snapshot, or empty
     */
    public static Optional<PeerSnapshot> peer(PoolEngine e, PeerId peer, boolean withConnections) {
        PeerSlot s = e.slotOf(PeerAdmin.requirePeer(peer));
        return s == null ? Optional.empty() : Optional.of(build(e, s, withConnections));
    }

    private static PeerSnapshot build(PoolEngine e, PeerSlot s, boolean withConnections) {
        long now = e.clock().nanoTime();
        int globalWaiting = e.admission().waitingFor(s);
        synchronized (s) {
            CircuitBreakerView breaker = s.breaker.view(e.clock());
            List<PooledConnection> conns = new ArrayList<>(withConnections ? s.conns.size() : 0);
            if (withConnections) {
                for (PooledConn c : s.conns) {
                    conns.add(pooled(e, s, c, now));
                }
            }
            PeerHealthMetrics health = s.metrics;
            return new PeerSnapshot(s.peerId, s.lastAddress, breaker, health, s.degraded, s.busy, s.idleCount,
                    s.dialing, s.waiterCount() + globalWaiting, conns, s.leased, s.info);
        }
    }

    /** Called under the slot lock. */
    private static PooledConnection pooled(PoolEngine e, PeerSlot s, PooledConn c, long now) {
        boolean inUse = c.state == PooledConn.LEASED;
        double avg = c.latency.ewmaMillis();
        double loss = c.pingsSent == 0 ? 0.0 : c.pingsLost / (double) c.pingsSent;
        boolean reachable = c.state != PooledConn.CLOSED && c.transport.isOpen() && c.consecutiveLosses < 2;
        Duration age = Duration.ofNanos(Math.max(0L, now - c.createdNanos));
        Duration idle = inUse ? Duration.ZERO : Duration.ofNanos(Math.max(0L, now - c.lastUsedNanos));
        HealthScore score = HealthScore.compute(reachable, c.latency.lastMillis(), loss, avg, age, idle, c.operations,
                e.config().latencyBudget());
        int priority = (int) Math.round(score.value() * 10);
        ConnectionInfo info = new ConnectionInfo(c.id, c.address, e.clock().wallAt(c.createdNanos),
                e.clock().wallAt(c.lastUsedNanos), c.operations, avg, status(s, c), priority, c.bandwidthBps());
        return new PooledConnection(info, e.clock().wallAt(c.pooledAtNanos), c.reuseCount, inUse, c.allocations,
                c.inbound);
    }

    private static ConnectionStatus status(PeerSlot s, PooledConn c) {
        if (c.state == PooledConn.CLOSED || !c.transport.isOpen()) {
            return c.closedAsFailure || !c.transport.isOpen() ? ConnectionStatus.FAILED : ConnectionStatus.DISCONNECTED;
        }
        if (c.failed) {
            return ConnectionStatus.FAILED;
        }
        if (s.breaker.state != CircuitState.CLOSED) {
            return ConnectionStatus.UNAVAILABLE;
        }
        if (s.degraded || c.consecutiveLosses > 0) {
            return ConnectionStatus.DEGRADED;
        }
        return ConnectionStatus.HEALTHY;
    }
}
