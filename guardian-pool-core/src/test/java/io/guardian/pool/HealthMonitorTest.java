package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.health.HealthScore;
import io.guardian.pool.health.PeerHealthMetrics;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

/** Health passes against real peers on loopback: PINGs, losses, eviction, scores, crossings, leaks. */
@Timeout(30)
@ParameterizedClass
@EnumSource(Transport.class)
class HealthMonitorTest {

    /**
     * Both transports: libp2p with one stream per connection, so that what these tests count
     * (leases, connections, waiters) lines up as on guardian-db.
     */
    @Parameter
    Transport transport;

    @RegisterExtension
    final TestPeers peers = new TestPeers();
    private LoopbackPool lp;

    private LoopbackPool pool(PoolConfig.Builder config) {
        lp = peers.closeFirst(new LoopbackPool(config.transport(transport).maxStreamsPerConnection(1).build()));
        return lp;
    }

    @Test
    void aPassPingsEveryIdleConnectionAndScoresThePeer() {
        // The score's latency parts are real round trips, which a loaded machine stretches: with
        // the default 100 ms budget this healthy loopback peer scored 0.40 to 0.89 in six of eight
        // runs at load 10 (> 0.9 needs round trips under about 5 ms). Here the budget is far above
        // any round trip the pass can count (a PING answered within ping-timeout, a handshake
        // within connection-timeout), so the score is pinned by what the pass measured rather
        // than by the machine; the latency curve itself is HealthScoreTest's and the Degraded test's.
        Duration budget = Duration.ofHours(1);
        LoopbackPool p = pool(PoolConfig.builder().latencyBudget(budget));
        TestPeers.Peer peer = peers.start();
        PeerConnection a = p.acquire(peer);
        PeerConnection b = p.acquire(peer);
        PeerConnection leased = p.acquire(peer);
        a.close();
        b.close();
        p.clock.advance(Duration.ofSeconds(12));

        HealthReport report = p.pool.checkHealth();

        // libp2p measures the leased connection too: a yamux Ping travels beside the streams.
        assertThat(report.pinged()).isEqualTo(transport == Transport.GUARDIAN ? 2 : 3);
        assertThat(report.lost()).isZero();
        assertThat(report.failed()).isZero();
        assertThat(report.evicted()).isZero();
        PeerHealthMetrics m = report.peers().get(peer.id());
        PoolConfig config = p.pool.config();
        double pingTimeoutMs = config.pingTimeout().toMillis();
        // An average of the handshake's round trip and the PINGs': each shorter than its timeout.
        assertThat(m.currentLatencyMs()).isPositive()
                .isLessThan(Math.max(pingTimeoutMs, config.connectionTimeout().toMillis()));
        assertThat(m.packetLossRate()).isZero();
        assertThat(m.uptimeSecs()).isEqualTo(12);
        // Every part as measured: reachable without loss, the average latency, 12 s of age, in use
        // (not idle), no operations. Only the pass's own PING round trip is not reported: it lies
        // between zero and ping-timeout, which moves the score by less than 0.001 at this budget.
        double fastest = HealthScore.compute(true, 0.0, 0.0, m.currentLatencyMs(), Duration.ofSeconds(12),
                Duration.ZERO, 0, budget).value();
        double slowest = HealthScore.compute(true, pingTimeoutMs, 0.0, m.currentLatencyMs(), Duration.ofSeconds(12),
                Duration.ZERO, 0, budget).value();
        assertThat(m.healthScore()).isBetween(slowest - 1e-9, fastest + 1e-9).isGreaterThan(0.9);
        assertThat(p.pool.peer(peer.id()).orElseThrow().health()).isEqualTo(m);
        leased.close();
    }

    @Test
    void idleConnectionsPastIdleTimeoutOrMaxLifetimeAreEvictedByThePass() {
        LoopbackPool p = pool(PoolConfig.builder().idleTimeout(Duration.ofSeconds(60))
                .maxLifetime(Duration.ofSeconds(90)));
        TestPeers.Peer peer = peers.start();
        PeerConnection old = p.acquire(peer);
        PeerConnection young = p.acquire(peer);
        old.close();
        p.clock.advance(Duration.ofSeconds(45));
        young.close();
        p.clock.advance(Duration.ofSeconds(15)); // old idle 60 s: past idle-timeout; young idle 15 s

        HealthReport first = p.pool.checkHealth();
        assertThat(first.evicted()).isEqualTo(1);
        assertThat(first.pinged()).isEqualTo(1);

        p.clock.advance(Duration.ofSeconds(31)); // young: idle 46 s but open 91 s, past max-lifetime
        HealthReport second = p.pool.checkHealth();
        assertThat(second.evicted()).isEqualTo(1);
        assertThat(p.pool.getStats().evictions()).isEqualTo(2);
        assertThat(p.pool.getStats().openConnections()).isZero();
        List<ConnectionEvent.Disconnected> gone = p.awaitEvents(ConnectionEvent.Disconnected.class, 2);
        assertThat(gone.get(0).reason()).contains(old.id()).contains("idle-timeout");
        assertThat(gone.get(1).reason()).contains(young.id()).contains("max-lifetime");
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer.listener().connectionCount() == 0);
    }

    @Test
    void twoPingsLostInARowFailTheConnection() {
        LoopbackPool p = pool(PoolConfig.builder().pingTimeout(Duration.ofMillis(500)));
        TestPeers.Peer peer = peers.startBehindProxy();
        String id;
        try (PeerConnection c = p.acquire(peer)) {
            id = c.id();
        }
        peer.proxy().dropReplies(true);

        HealthReport first = p.pool.checkHealth();
        assertThat(first.lost()).isEqualTo(1);
        assertThat(first.failed()).isZero();
        assertThat(p.pool.peer(peer.id()).orElseThrow().connections().get(0).info().status())
                .isEqualTo(ConnectionStatus.DEGRADED);
        HealthReport second = p.pool.checkHealth();

        assertThat(second.lost()).isEqualTo(1);
        assertThat(second.failed()).isEqualTo(1);
        assertThat(second.peers().get(peer.id()).packetLossRate()).isEqualTo(1.0);
        PoolStats stats = p.pool.getStats();
        assertThat(stats.openConnections()).isZero();
        assertThat(stats.connectionsFailed()).isEqualTo(1);
        assertThat(stats.evictions()).isEqualTo(1);
        assertThat(p.awaitEvents(ConnectionEvent.Disconnected.class, 1).get(0).reason())
                .contains(id).contains("2 PINGs in a row");
    }

    @Test
    void aDeadSocketIsFoundAndClosed() {
        LoopbackPool p = pool(PoolConfig.builder());
        TestPeers.Peer peer = peers.startBehindProxy();
        p.acquire(peer).close();

        peer.proxy().cutAll();

        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> p.pool.getStats().openConnections() == 0);
        HealthReport report = p.pool.checkHealth();
        assertThat(report.pinged()).isZero();
        assertThat(p.pool.getStats().evictions()).isEqualTo(1);
        assertThat(p.awaitEvents(ConnectionEvent.Disconnected.class, 1).get(0).reason()).contains("closed");
    }

    @Test
    void degradedAndRecoveredAreRaisedOnceEachOnTheCrossings() {
        LoopbackPool p = pool(PoolConfig.builder());
        TestPeers.Peer peer = peers.startBehindProxy();
        p.acquire(peer).close();

        peer.proxy().delayReplies(Duration.ofMillis(150)); // PONGs slower than the 100 ms budget
        double s1 = p.pool.checkHealth().peers().get(peer.id()).healthScore();
        double s2 = p.pool.checkHealth().peers().get(peer.id()).healthScore();
        assertThat(s1).isLessThan(0.5);
        assertThat(s2).isLessThan(0.5);
        assertThat(p.pool.peer(peer.id()).orElseThrow().degraded()).isTrue();

        peer.proxy().delayReplies(Duration.ZERO);
        // Fast PONGs again; on a loaded machine the average may take a pass or two to come down.
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> p.pool.checkHealth().peers().get(peer.id()).healthScore() >= 0.5);
        double s4 = p.pool.checkHealth().peers().get(peer.id()).healthScore();
        assertThat(s4).isGreaterThanOrEqualTo(0.5);

        List<ConnectionEvent.Degraded> degraded = p.awaitEvents(ConnectionEvent.Degraded.class, 1);
        p.awaitEvents(ConnectionEvent.Recovered.class, 1);
        assertThat(degraded).hasSize(1);
        assertThat(degraded.get(0).healthScore()).isEqualTo(s1);
        assertThat(p.ofType(ConnectionEvent.Recovered.class)).hasSize(1);
        int degradedAt = p.events.indexOf(degraded.get(0));
        int recoveredAt = p.events.indexOf(p.ofType(ConnectionEvent.Recovered.class).get(0));
        assertThat(degradedAt).isLessThan(recoveredAt);
    }

    @Test
    void aLeaseHeldPastTheLeakThresholdRaisesOneEventWithTheAcquireStack() {
        LoopbackPool p = pool(PoolConfig.builder().leakDetectionThreshold(Duration.ofSeconds(2)));
        TestPeers.Peer peer = peers.start();
        PeerConnection forgotten = p.acquire(peer);
        p.clock.advance(Duration.ofSeconds(3));

        assertThat(p.pool.checkHealth().leaksSuspected()).isEqualTo(1);
        assertThat(p.pool.checkHealth().leaksSuspected()).isZero();

        ConnectionEvent.ConnectionLeakSuspected leak =
                p.awaitEvents(ConnectionEvent.ConnectionLeakSuspected.class, 1).get(0);
        assertThat(leak.connectionId()).isEqualTo(forgotten.id());
        assertThat(leak.heldFor()).isEqualTo(Duration.ofSeconds(3));
        // The stack starts at the caller (here the test's helper), not inside the pool.
        assertThat(leak.acquireStack().get(0).getClassName()).isEqualTo(LoopbackPool.class.getName());
        assertThat(leak.acquireStack()).extracting(StackTraceElement::getMethodName)
                .contains("aLeaseHeldPastTheLeakThresholdRaisesOneEventWithTheAcquireStack");
        assertThat(p.pool.getStats().leaksSuspected()).isEqualTo(1);
        forgotten.close();
    }

    @Test
    void theMonitorChecksLeaksBetweenPassesAndPassesEveryInterval() {
        LoopbackPool p = pool(PoolConfig.builder().leakDetectionThreshold(Duration.ofSeconds(2))
                .healthCheckInterval(Duration.ofSeconds(30)));
        TestPeers.Peer peer = peers.start();
        p.acquire(peer).close();
        PeerConnection forgotten = p.acquire(peer);
        PeerConnection idle = p.acquire(peer);
        idle.close();

        AutoCloseable monitor = p.pool.startHealthMonitor();
        p.scheduler.advance(Duration.ofSeconds(3)); // leak checks every threshold / 2
        assertThat(p.awaitEvents(ConnectionEvent.ConnectionLeakSuspected.class, 1)).hasSize(1);
        assertThat(p.pool.peer(peer.id()).orElseThrow().health()).isNull();

        p.scheduler.advance(Duration.ofSeconds(27)); // the first pass is due at 30 s
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
            p.scheduler.runDue(); // the pass finishes on the scheduler once its PONGs are in
            return p.pool.peer(peer.id()).orElseThrow().health() != null;
        });
        assertThat(p.pool.peer(peer.id()).orElseThrow().health().lastMeasured())
                .isEqualTo(p.clock.wallAt(p.clock.nanoTime()));

        closeQuietly(monitor);
        int pending = p.scheduler.pending();
        p.scheduler.advance(Duration.ofMinutes(5));
        assertThat(pending).isZero();
        forgotten.close();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
