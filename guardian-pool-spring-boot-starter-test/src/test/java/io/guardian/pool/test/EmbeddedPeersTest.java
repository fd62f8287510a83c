package io.guardian.pool.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.CircuitBreakerOpenException;
import io.guardian.pool.ConnectionFailedException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link EmbeddedPeers} as an application's test uses it, against a real pool. */
@Timeout(60)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmbeddedPeersTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final EmbeddedPeers peers = EmbeddedPeers.echo(2);

    /** The address of the peer the second test stops, for the third to dial. */
    private static final AtomicReference<Multiaddr> stoppedAddress = new AtomicReference<>();

    @Test
    @Order(1)
    void everyPeerAnswersThroughAPoolAtItsOwnLoopbackAddress() {
        try (OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.defaults())) {
            for (EmbeddedPeer peer : peers.all()) {
                assertThat(peer.address().toString()).startsWith("/ip4/127.0.0.1/tcp/")
                        .endsWith("/p2p/" + peer.id());
                try (PeerConnection c = pool.acquire(peer.id(), peer.address())) {
                    assertThat(c.request(bytes("ping " + peer.id()), WAIT)).isEqualTo(bytes("ping " + peer.id()));
                }
                assertThat(peer.messagesHandled()).isEqualTo(1);
            }
        }
        assertThat(peers.size()).isEqualTo(2);
        assertThat(peers.get(0).address()).isNotEqualTo(peers.get(1).address());
        assertThat(peers.addressList().split(",")).containsExactly(peers.get(0).address().toString(),
                peers.get(1).address().toString());
        assertThat(peers.peerAddresses()).extracting(a -> a.peerId()).containsExactly(peers.get(0).id(),
                peers.get(1).id());
    }

    @Test
    @Order(2)
    void aStoppedPeerRefusesDialsUntilItsBreakerOpens() {
        PoolConfig config = PoolConfig.builder().maxRetryAttempts(0).circuitBreakerFailureThreshold(2).build();
        try (OptimizedConnectionPool pool = new OptimizedConnectionPool(config)) {
            EmbeddedPeer down = peers.get(0);
            stoppedAddress.set(down.address());
            down.stop();
            assertThat(down.isRunning()).isFalse();

            for (int i = 0; i < 2; i++) {
                assertThatThrownBy(() -> pool.acquire(down.id(), down.address()))
                        .isInstanceOf(ConnectionFailedException.class);
            }
            CircuitBreakerAwait.awaitOpen(pool, down.id(), WAIT);
            assertThatThrownBy(() -> pool.acquire(down.id(), down.address()))
                    .isInstanceOf(CircuitBreakerOpenException.class);
            // The other peer is untouched.
            pool.acquire(peers.get(1).id(), peers.get(1).address()).close();
        }
    }

    @Test
    @Order(3)
    void theNextTestFindsEveryPeerRunningAtTheSameAddress() {
        EmbeddedPeer peer = peers.get(0);
        assertThat(peer.isRunning()).isTrue();
        assertThat(peer.address()).isEqualTo(stoppedAddress.get());
        try (OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.defaults());
                PeerConnection c = pool.acquire(peer.id(), stoppedAddress.get())) {
            assertThat(c.request(bytes("back"), WAIT)).isEqualTo(bytes("back"));
        }
    }

    @Test
    @Order(4)
    void aPeerStartedAgainWithinATestServesTheSameAddress() {
        EmbeddedPeer peer = peers.get(1);
        Multiaddr before = peer.address();
        peer.stop();
        peer.stop();
        assertThat(peer.connectionCount()).isZero();
        peer.start();
        peer.start();
        assertThat(peer.address()).isEqualTo(before);
        try (OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.defaults());
                PeerConnection c = pool.acquire(peer.id(), before)) {
            assertThat(c.request(bytes("again"), WAIT)).isEqualTo(bytes("again"));
            assertThat(peer.connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void eachPeerAnswersTheLibp2pRequestProtocolOnTheSamePort() {
        for (EmbeddedPeer peer : peers.all()) {
            assertThat(peer.protocols()).contains(PeerListener.DEFAULT_PROTOCOL);
        }
    }

    @Test
    void aCustomHandlerAnswersAndCountsAreBounded() {
        assertThatThrownBy(() -> EmbeddedPeers.echo(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedPeers.echo(EmbeddedPeers.MAX_PEERS + 1))
                .isInstanceOf(IllegalArgumentException.class);
        EmbeddedPeers upper = EmbeddedPeers.answering(1, (from, m) -> new String(m, StandardCharsets.UTF_8)
                .toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
        EmbeddedPeer peer = upper.get(0);
        try (OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.defaults());
                PeerConnection c = pool.acquire(peer.id(), peer.address())) {
            assertThat(c.request(bytes("shout"), WAIT)).isEqualTo(bytes("SHOUT"));
        } finally {
            upper.close();
        }
        assertThat(peer.isRunning()).isFalse();
        assertThatThrownBy(upper::all).isInstanceOf(IllegalStateException.class);
    }

    /** Registered on an instance field: the peers live for one test. */
    @Nested
    class PerTest {

        private static final AtomicReference<EmbeddedPeer> seen = new AtomicReference<>();

        @RegisterExtension
        final EmbeddedPeers own = EmbeddedPeers.echo(1);

        @Test
        void thePeerRunsDuringTheTest() {
            seen.set(own.get(0));
            assertThat(own.get(0).isRunning()).isTrue();
        }

        @AfterAll
        static void andIsClosedAfterIt() {
            assertThat(seen.get()).isNotNull();
            assertThat(seen.get().isRunning()).isFalse();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
