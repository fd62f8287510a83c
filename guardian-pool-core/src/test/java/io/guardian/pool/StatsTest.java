package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.health.HealthScore;
import java.time.Duration;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

/** Every statistic is counted or measured, against real peers on loopback and a stepped clock. */
@Timeout(30)
@ParameterizedClass
@EnumSource(Transport.class)
class StatsTest {

    /**
     * Both transports: libp2p with one stream per connection, so that what these tests count
     * (leases, connections, waiters) lines up as on guardian-db.
     */
    @Parameter
    Transport transport;

    @RegisterExtension
    final TestPeers peers = new TestPeers();
    private LoopbackPool lp;

    @Test
    void theOriginalCountersAndRatesFollowTheirFormulas() {
        lp = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(transport).maxStreamsPerConnection(1).maxRetryAttempts(0).build()));
        TestPeers.Peer a = peers.start();
        TestPeers.Peer b = peers.start();
        for (int i = 0; i < 4; i++) {
            lp.acquire(a).close();
        }
        PeerConnection held = lp.acquire(b);
        TestPeers.Peer gone = TestPeers.refusing();
        assertThatThrownBy(() -> lp.pool.acquire(gone.id(), gone.address()))
                .isInstanceOf(ConnectionFailedException.class);

        PoolStats s = lp.pool.getStats();
        assertThat(s.connectionsCreated()).isEqualTo(2);
        assertThat(s.connectionsReused()).isEqualTo(3);
        assertThat(s.reuseRate()).isEqualTo(3.0 / 5.0);
        assertThat(s.connectionsFailed()).isEqualTo(1);
        assertThat(s.connectionsTimeout()).isZero();
        assertThat(s.peers()).isEqualTo(3);
        assertThat(s.openCircuits()).isZero();
        assertThat(s.activeConnections()).isEqualTo(1);
        assertThat(s.pooledConnections()).isEqualTo(1);
        assertThat(s.openConnections()).isEqualTo(2);
        // Dial time is measured on the pool's clock, which this test steps by hand: none passed.
        assertThat(s.avgConnectionTimeMs()).isZero();
        assertThat(s.globalAvgLatencyMs()).isPositive();
        assertThat(s.maxTotalConnections()).isEqualTo(1000);
        assertThat(s.waitingAcquires()).isZero();
        assertThat(s.pendingConnections()).isZero();
        assertThat(s.eventsDropped()).isZero();
        held.close();
    }

    @Test
    void bandwidthAndOperationsAreMeasuredFromTheBytesMovedDuringLeases() {
        lp = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(transport).maxStreamsPerConnection(1).build()));
        TestPeers.Peer peer = peers.start();
        String id;
        try (PeerConnection c = lp.acquire(peer)) {
            id = c.id();
            for (int i = 0; i < 10; i++) {
                c.request(new byte[1000], Duration.ofSeconds(5));
            }
            lp.clock.advance(Duration.ofSeconds(1)); // the lease lasted 1 s on the pool's clock
        }

        PooledConnection pc = lp.pool.peer(peer.id()).orElseThrow().connections().get(0);
        ConnectionInfo info = pc.info();
        assertThat(info.connectionId()).isEqualTo(id);
        assertThat(info.operationsCount()).isEqualTo(10);
        assertThat(info.bandwidthBps()).isEqualTo(20_000); // 10 kB each way in 1 s
        assertThat(info.avgLatencyMs()).isPositive();
        assertThat(info.status()).isEqualTo(ConnectionStatus.HEALTHY);
        assertThat(info.priority()).isBetween(9, 10);
        assertThat(info.peerAddress()).isEqualTo(peer.address());
        assertThat(pc.inUse()).isFalse();
        assertThat(pc.reuseCount()).isZero();
        assertThat(lp.pool.getStats().totalBandwidthBps()).isEqualTo(20_000);
        assertThat(lp.pool.checkHealth().peers().get(peer.id()).throughputBps()).isEqualTo(20_000);
    }

    @Test
    void priorityIsTheConnectionsOwnHealthScoreTimesTen() {
        lp = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(transport).maxStreamsPerConnection(1).build()));
        TestPeers.Peer peer = peers.start();
        lp.acquire(peer).close();
        ConnectionInfo fresh = lp.pool.peer(peer.id()).orElseThrow().connections().get(0).info();

        // Two hours later, idle all along: age and usage drop to 0.5 each.
        lp.clock.advance(Duration.ofHours(2));
        ConnectionInfo old = lp.pool.peer(peer.id()).orElseThrow().connections().get(0).info();

        // One round trip measured (the handshake): it is both the last sample and the average.
        double rtt = fresh.avgLatencyMs();
        HealthScore freshScore = HealthScore.compute(true, rtt, 0.0, rtt, Duration.ZERO, Duration.ZERO, 0,
                Duration.ofMillis(100));
        HealthScore oldScore = HealthScore.compute(true, rtt, 0.0, rtt, Duration.ofHours(2), Duration.ofHours(2), 0,
                Duration.ofMillis(100));
        assertThat(fresh.priority()).isEqualTo((int) Math.round(freshScore.value() * 10));
        assertThat(old.priority()).isEqualTo((int) Math.round(oldScore.value() * 10));
        assertThat(old.priority()).isLessThan(fresh.priority());
    }
}
