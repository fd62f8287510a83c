package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.event.ConnectionEvent;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

/** Per-peer and global limits, waiting, timeouts and reclaim, against real peers on loopback. */
@Timeout(30)
@ParameterizedClass
@EnumSource(Transport.class)
class PoolLimitsTest {

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
    void perPeerLimitMakesTheNextCallerWaitAndHandsItTheReleasedConnection() throws Exception {
        LoopbackPool p = pool(PoolConfig.builder().maxConnectionsPerPeer(2));
        TestPeers.Peer peer = peers.start();
        PeerConnection first = p.acquire(peer);
        PeerConnection second = p.acquire(peer);

        CompletableFuture<PeerConnection> third = p.pool.acquireAsync(peer.id(), peer.address());

        assertThat(third).isNotDone();
        assertThat(p.pool.getStats().waitingAcquires()).isEqualTo(1);
        assertThat(p.pool.peer(peer.id()).orElseThrow().open()).isEqualTo(2);
        first.close();
        PeerConnection handed = third.get();
        assertThat(handed.id()).isEqualTo(first.id());
        assertThat(handed.request(new byte[] {7}, Duration.ofSeconds(5))).containsExactly(7);
        PoolStats stats = p.pool.getStats();
        assertThat(stats.connectionsCreated()).isEqualTo(2);
        assertThat(stats.connectionsReused()).isEqualTo(1);
        assertThat(stats.waitingAcquires()).isZero();
        handed.close();
        second.close();
    }

    @Test
    void waitersAreServedInArrivalOrder() throws Exception {
        LoopbackPool p = pool(PoolConfig.builder().maxConnectionsPerPeer(1));
        TestPeers.Peer peer = peers.start();
        PeerConnection held = p.acquire(peer);
        CompletableFuture<PeerConnection> w1 = p.pool.acquireAsync(peer.id(), peer.address());
        CompletableFuture<PeerConnection> w2 = p.pool.acquireAsync(peer.id(), peer.address());
        CompletableFuture<PeerConnection> w3 = p.pool.acquireAsync(peer.id(), peer.address());

        held.close();
        assertThat(w1).isDone();
        assertThat(w2).isNotDone();
        assertThat(w3).isNotDone();
        w1.get().close();
        assertThat(w2).isDone();
        assertThat(w3).isNotDone();
        w2.get().close();
        assertThat(w3).isDone();
        w3.get().close();
        assertThat(p.pool.getStats().connectionsCreated()).isEqualTo(1);
    }

    @Test
    void waitingPastAcquireTimeoutFailsWithPoolExhaustedNamingThePeerLimit() {
        LoopbackPool p = pool(PoolConfig.builder().maxConnectionsPerPeer(1).acquireTimeout(Duration.ofSeconds(2)));
        TestPeers.Peer peer = peers.start();
        PeerConnection held = p.acquire(peer);
        CompletableFuture<PeerConnection> waiting = p.pool.acquireAsync(peer.id(), peer.address());

        p.scheduler.advance(Duration.ofMillis(1999));
        assertThat(waiting).isNotDone();
        p.scheduler.advance(Duration.ofMillis(1));

        assertThatThrownBy(waiting::get).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(PoolExhaustedException.class)
                .hasMessageContaining("max-connections-per-peer (1)")
                .hasMessageContaining("acquire-timeout (PT2S)")
                .hasMessageContaining(peer.id().toString());
        assertThat(p.pool.getStats().waitingAcquires()).isZero();
        // Exhaustion is the pool's limit, not the peer's fault: the breaker did not count it.
        assertThat(p.pool.peer(peer.id()).orElseThrow().circuitBreaker().failureCount()).isZero();
        held.close();
    }

    @Test
    void zeroAcquireTimeoutFailsAtOnceAtTheLimit() {
        LoopbackPool p = pool(PoolConfig.builder().maxConnectionsPerPeer(1).acquireTimeout(Duration.ZERO));
        TestPeers.Peer peer = peers.start();
        try (PeerConnection held = p.acquire(peer)) {
            assertThatThrownBy(() -> p.acquire(peer)).isInstanceOf(PoolExhaustedException.class)
                    .hasMessageContaining("max-connections-per-peer");
        }
    }

    @Test
    void globalLimitClosesTheLeastRecentlyUsedIdleConnectionOfAnotherPeer() {
        LoopbackPool p = pool(PoolConfig.builder().maxTotalConnections(2));
        TestPeers.Peer a = peers.start();
        TestPeers.Peer b = peers.start();
        TestPeers.Peer c = peers.start();
        String aId;
        try (PeerConnection la = p.acquire(a)) {
            aId = la.id();
        }
        p.clock.advance(Duration.ofSeconds(1));
        try (PeerConnection lb = p.acquire(b)) {
            assertThat(lb.id()).isNotNull();
        }

        try (PeerConnection lc = p.acquire(c)) {
            assertThat(lc.request(new byte[] {1}, Duration.ofSeconds(5))).containsExactly(1);
            PoolStats stats = p.pool.getStats();
            assertThat(stats.openConnections()).isEqualTo(2);
            assertThat(stats.evictions()).isEqualTo(1);
            assertThat(p.pool.peer(a.id()).orElseThrow().open()).isZero();
            assertThat(p.pool.peer(b.id()).orElseThrow().idle()).isEqualTo(1);
        }
        ConnectionEvent.Disconnected gone = p.awaitEvents(ConnectionEvent.Disconnected.class, 1).get(0);
        assertThat(gone.peerId()).isEqualTo(a.id());
        assertThat(gone.reason()).contains(aId).contains("max-total-connections (2)");
    }

    @Test
    void atTheGlobalLimitWithEverythingLeasedCallersWaitThenTimeOut() {
        LoopbackPool p = pool(PoolConfig.builder().maxTotalConnections(2).acquireTimeout(Duration.ofSeconds(3)));
        TestPeers.Peer a = peers.start();
        TestPeers.Peer b = peers.start();
        TestPeers.Peer c = peers.start();
        try (PeerConnection la = p.acquire(a); PeerConnection lb = p.acquire(b)) {
            CompletableFuture<PeerConnection> waiting = p.pool.acquireAsync(c.id(), c.address());
            assertThat(waiting).isNotDone();
            assertThat(p.pool.getStats().waitingAcquires()).isEqualTo(1);
            assertThat(p.pool.peer(c.id()).orElseThrow().waiting()).isEqualTo(1);

            p.scheduler.advance(Duration.ofSeconds(3));

            assertThatThrownBy(waiting::get).cause().isInstanceOf(PoolExhaustedException.class)
                    .hasMessageContaining("max-total-connections (2)");
            assertThat(p.pool.getStats().waitingAcquires()).isZero();
            assertThat(p.pool.getStats().openConnections()).isEqualTo(2);
        }
    }

    @Test
    void aReleaseAtTheGlobalLimitMakesRoomForAWaiterOfAnotherPeer() throws Exception {
        LoopbackPool p = pool(PoolConfig.builder().maxTotalConnections(2));
        TestPeers.Peer a = peers.start();
        TestPeers.Peer b = peers.start();
        TestPeers.Peer c = peers.start();
        PeerConnection la = p.acquire(a);
        PeerConnection lb = p.acquire(b);
        CompletableFuture<PeerConnection> waiting = p.pool.acquireAsync(c.id(), c.address());

        la.close();

        try (PeerConnection lc = waiting.get()) {
            assertThat(lc.peerId()).isEqualTo(c.id());
            assertThat(lc.request(new byte[] {3}, Duration.ofSeconds(5))).containsExactly(3);
            assertThat(p.pool.getStats().openConnections()).isEqualTo(2);
            assertThat(p.pool.getStats().evictions()).isEqualTo(1);
        }
        lb.close();
    }

    @Test
    void aReleaseAtTheGlobalLimitGoesStraightToAWaiterOfTheSamePeer() throws Exception {
        LoopbackPool p = pool(PoolConfig.builder().maxTotalConnections(2));
        TestPeers.Peer a = peers.start();
        TestPeers.Peer b = peers.start();
        PeerConnection la = p.acquire(a);
        PeerConnection lb = p.acquire(b);
        CompletableFuture<PeerConnection> waiting = p.pool.acquireAsync(a.id(), a.address());

        la.close();

        try (PeerConnection again = waiting.get()) {
            assertThat(again.id()).isEqualTo(la.id());
            assertThat(p.pool.getStats().evictions()).isZero();
            assertThat(p.pool.getStats().connectionsCreated()).isEqualTo(2);
        }
        lb.close();
    }
}
