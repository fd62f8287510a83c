package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.event.ConnectionEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The connection manager on real loopback peers: above the high watermark idle connections are
 * trimmed to the low watermark, least recently used first; leased connections, new ones within the
 * grace period and protected peers' connections stay.
 */
@Timeout(60)
class ConnectionManagerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final TestPeers peers = new TestPeers();

    private OptimizedConnectionPool pool(ConnectionManagerConfig manager) {
        return peers.closeFirst(new OptimizedConnectionPool(PoolConfig.builder().connectionManager(manager)
                .healthCheckInterval(Duration.ofHours(1)).build()));
    }

    private static void use(OptimizedConnectionPool pool, TestPeers.Peer peer) {
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address())) {
            assertThat(lease.request(new byte[] {7}, WAIT)).containsExactly(7);
        }
    }

    @Test
    void aboveTheHighWatermarkIdleConnectionsAreTrimmedLeastRecentlyUsedFirst() {
        OptimizedConnectionPool pool = pool(new ConnectionManagerConfig(2, 3, Duration.ZERO));
        List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
        pool.subscribeEvents(events::add);
        List<TestPeers.Peer> started = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            started.add(peers.start());
        }
        for (int i = 0; i < 3; i++) {
            use(pool, started.get(i));
        }
        use(pool, started.get(0)); // peer 0 is now the most recently used of the three
        assertThat(pool.getStats().openConnections()).isEqualTo(3);
        assertThat(pool.getStats().trimmed()).isZero();

        use(pool, started.get(3)); // the fourth connection crosses the high watermark

        PoolStats stats = pool.getStats();
        assertThat(stats.openConnections()).isEqualTo(2);
        assertThat(stats.trimmed()).isEqualTo(2);
        assertThat(pool.peer(started.get(1).id()).orElseThrow().open()).isZero();
        assertThat(pool.peer(started.get(2).id()).orElseThrow().open()).isZero();
        assertThat(pool.peer(started.get(0).id()).orElseThrow().open()).isEqualTo(1);
        assertThat(pool.peer(started.get(3).id()).orElseThrow().open()).isEqualTo(1);
        Awaitility.await().atMost(WAIT).until(() -> events.stream()
                .filter(e -> e instanceof ConnectionEvent.Disconnected d && d.reason().contains("trimmed")).count() == 2);
        // Trimming is not a failure of anyone.
        assertThat(stats.connectionsFailed()).isZero();
        assertThat(pool.peer(started.get(1).id()).orElseThrow().circuitBreaker().failureCount()).isZero();
    }

    @Test
    void protectedPeersLeasedConnectionsAndNewConnectionsAreNeverTrimmed() {
        OptimizedConnectionPool pool = pool(new ConnectionManagerConfig(0, 1, Duration.ZERO));
        TestPeers.Peer guarded = peers.start();
        TestPeers.Peer busy = peers.start();
        TestPeers.Peer other = peers.start();
        pool.protect(guarded.id(), "bootstrap");
        pool.protect(guarded.id(), "dht");
        use(pool, guarded);
        try (PeerConnection held = pool.acquire(busy.id(), busy.address())) {
            use(pool, other);
            pool.checkHealth(); // above the high watermark of 1: only other's idle connection may go
            assertThat(pool.peer(other.id()).orElseThrow().open()).isZero();
            assertThat(pool.peer(busy.id()).orElseThrow().open()).isEqualTo(1);
            assertThat(pool.peer(guarded.id()).orElseThrow().open()).isEqualTo(1);
            assertThat(held.request(new byte[] {1}, WAIT)).containsExactly(1);
        }
        assertThat(pool.isProtected(guarded.id(), "dht")).isTrue();
        assertThat(pool.unprotect(guarded.id(), "bootstrap")).as("still protected by dht").isTrue();
        assertThat(pool.unprotect(guarded.id(), "dht")).isFalse();
        pool.checkHealth(); // now nothing is protected or leased: down to the low watermark of 0
        assertThat(pool.getStats().openConnections()).isZero();
        assertThat(pool.getStats().trimmed()).isEqualTo(3);
    }

    @Test
    void connectionsWithinTheGracePeriodStay() {
        OptimizedConnectionPool pool = pool(new ConnectionManagerConfig(0, 1, Duration.ofHours(1)));
        for (int i = 0; i < 3; i++) {
            use(pool, peers.start());
        }
        pool.checkHealth();
        assertThat(pool.getStats().openConnections()).isEqualTo(3);
        assertThat(pool.getStats().trimmed()).isZero();
    }

    @Test
    void badWatermarksNameTheSetting() {
        assertThatThrownBy(() -> new ConnectionManagerConfig(5, 5, Duration.ZERO))
                .isInstanceOfSatisfying(InvalidSettingException.class,
                        e -> assertThat(e.setting()).isEqualTo("connection-manager.low-watermark"));
        assertThatThrownBy(() -> new ConnectionManagerConfig(0, -1, Duration.ZERO))
                .isInstanceOfSatisfying(InvalidSettingException.class,
                        e -> assertThat(e.setting()).isEqualTo("connection-manager.high-watermark"));
        assertThatThrownBy(() -> PoolConfig.builder().maxTotalConnections(10)
                .connectionManager(new ConnectionManagerConfig(1, 11, Duration.ZERO)).build())
                .isInstanceOf(InvalidSettingException.class).hasMessageContaining("max-total-connections");
        assertThat(ConnectionManagerConfig.OFF.enabled()).isFalse();
    }
}
