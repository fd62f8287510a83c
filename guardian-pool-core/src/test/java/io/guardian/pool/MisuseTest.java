package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.peer.Multiaddr;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Wrong calls get clear exceptions naming what was wrong, and leave the pool working. */
@Timeout(30)
class MisuseTest {

    private final TestPeers peers = new TestPeers();
    private final LoopbackPool lp = new LoopbackPool(PoolConfig.defaults());

    @AfterEach
    void tearDown() {
        lp.close();
        peers.close();
    }

    private void poolStillWorks(TestPeers.Peer peer) {
        try (PeerConnection c = lp.acquire(peer)) {
            assertThat(c.request(new byte[] {42}, Duration.ofSeconds(5))).containsExactly(42);
        }
        assertThat(lp.pool.getStats().activeConnections()).isZero();
    }

    @Test
    void releasingAnUnknownIdNamesIt() {
        TestPeers.Peer peer = peers.start();
        assertThatThrownBy(() -> lp.pool.releaseConnection(peer.id(), "conn_nope_1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("conn_nope_1");
        assertThatThrownBy(() -> lp.pool.connection("conn_nope_1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown connection id");
        poolStillWorks(peer);
    }

    @Test
    void releasingWithTheWrongPeerNamesBothPeersAndKeepsTheLease() {
        TestPeers.Peer peer = peers.start();
        TestPeers.Peer other = peers.start();
        String id = lp.pool.getConnection(peer.id(), peer.address());

        assertThatThrownBy(() -> lp.pool.releaseConnection(other.id(), id))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(id).hasMessageContaining(peer.id().toString())
                .hasMessageContaining(other.id().toString());
        assertThat(lp.pool.getStats().activeConnections()).isEqualTo(1);
        lp.pool.releaseConnection(peer.id(), id);
        poolStillWorks(peer);
    }

    @Test
    void releasingTwiceIsAnIllegalState() {
        TestPeers.Peer peer = peers.start();
        String id = lp.pool.getConnection(peer.id(), peer.address());
        lp.pool.releaseConnection(peer.id(), id);

        assertThatThrownBy(() -> lp.pool.releaseConnection(peer.id(), id))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining(id).hasMessageContaining("released");
        assertThatThrownBy(() -> lp.pool.connection(id)).isInstanceOf(IllegalStateException.class);
        poolStillWorks(peer);
    }

    @Test
    void aLeaseIsUselessAfterCloseEvenWhenItsConnectionIsLeasedAgain() {
        TestPeers.Peer peer = peers.start();
        PeerConnection stale = lp.acquire(peer);
        stale.close();
        stale.close(); // idempotent
        try (PeerConnection current = lp.acquire(peer)) {
            assertThat(current.id()).isEqualTo(stale.id());
            assertThatThrownBy(() -> stale.send(new byte[] {1})).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(stale.id()).hasMessageContaining("closed");
            assertThatThrownBy(() -> stale.receive(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> stale.request(new byte[] {1}, Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalStateException.class);
            stale.markFailed(new RuntimeException("stale")); // no effect on the current lease
            assertThat(current.request(new byte[] {5}, Duration.ofSeconds(5))).containsExactly(5);
            assertThat(lp.pool.connection(current.id())).isEqualTo(current); // a handle of the same lease
        }
        assertThat(lp.pool.getStats().connectionsFailed()).isZero();
    }

    @Test
    void connectionByIdReturnsTheLeaseAndClosingItReleases() {
        TestPeers.Peer peer = peers.start();
        String id = lp.pool.getConnection(peer.id(), peer.address());
        PeerConnection lease = lp.pool.connection(id);
        assertThat(lease.request(new byte[] {3}, Duration.ofSeconds(5))).containsExactly(3);
        lease.close();
        assertThat(lp.pool.getStats().activeConnections()).isZero();
        assertThat(lp.pool.getStats().pooledConnections()).isEqualTo(1);
    }

    @Test
    void nullAndMalformedArgumentsAreRejectedWithTheirName() {
        TestPeers.Peer peer = peers.start();
        TestPeers.Peer other = peers.start();
        assertThatThrownBy(() -> lp.pool.acquire(null, peer.address()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("peerId");
        assertThatThrownBy(() -> lp.pool.acquire(peer.id(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("address");
        assertThatThrownBy(() -> lp.pool.acquire(peer.id(), Multiaddr.parse("/ip4/127.0.0.1/udp/4001")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not dialable");
        assertThatThrownBy(() -> lp.pool.acquire(peer.id(), Multiaddr.parse("/ip4/127.0.0.1/tcp/0")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not dialable");
        assertThatThrownBy(() -> lp.pool.acquire(other.id(), peer.address()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("names peer " + peer.id()).hasMessageContaining(other.id().toString());
        assertThatThrownBy(() -> lp.pool.acquireAny(List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one");
        assertThatThrownBy(() -> lp.pool.acquireAny(Arrays.asList(peer.candidate(), null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null");
        assertThatThrownBy(() -> lp.pool.releaseConnection(peer.id(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("connectionId");
        assertThatThrownBy(() -> lp.pool.checkCircuitBreaker(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PeerAddress(null, peer.address())).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("peerId");
        try (PeerConnection c = lp.acquire(peer)) {
            assertThatThrownBy(() -> c.send(null)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> c.receive(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("timeout");
        }
        poolStillWorks(peer);
        assertThat(lp.pool.getStats().connectionsFailed()).isZero();
    }

    @Test
    void closingThePoolTwiceIsANoOpAndLaterCallsSayItIsClosed() {
        TestPeers.Peer peer = peers.start();
        lp.acquire(peer).close();
        lp.pool.close();
        assertThatCode(lp.pool::close).doesNotThrowAnyException();
        assertThat(lp.pool.isClosed()).isTrue();
        assertThatThrownBy(() -> lp.acquire(peer)).isInstanceOf(PoolClosedException.class)
                .hasMessageContaining("closed").hasMessageContaining(peer.id().toString());
        assertThatThrownBy(lp.pool::checkHealth).isInstanceOf(PoolClosedException.class);
        assertThatThrownBy(lp.pool::startHealthMonitor).isInstanceOf(PoolClosedException.class);
        assertThat(lp.pool.getStats().openConnections()).isZero();
    }
}
