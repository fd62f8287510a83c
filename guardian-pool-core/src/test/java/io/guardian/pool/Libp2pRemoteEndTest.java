package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A libp2p peer ending things cleanly where the pool expected more, as real nodes do: a stream
 * ended with FIN instead of a reply (js-libp2p closing a connection gracefully), a connection
 * closed with a bare FIN and no GoAway (rust-libp2p's idle timeout). Typed errors, and churn, not
 * failures.
 */
@Timeout(30)
class Libp2pRemoteEndTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String ECHO = "/test/echo/1.0.0";
    private static final String HANG_UP = "/test/hang-up/1.0.0";

    @RegisterExtension
    final TestPeers peers = new TestPeers();

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aStreamTheRemoteEndsBeforeReplyingFailsTypedAndKeepsTheConnection() {
        PeerIdentity identity = PeerIdentity.generate();
        PeerListener listener = PeerListener.builder(identity)
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .handler(ECHO, TestPeers.ECHO)
                .streamHandler(HANG_UP, stream -> {
                    stream.readMessage(1024, WAIT);
                    stream.closeWrite();
                })
                .start();
        peers.closeFirst(listener);
        OptimizedConnectionPool pool = peers.closeFirst(
                new OptimizedConnectionPool(PoolConfig.builder().circuitBreakerFailureThreshold(1).build()));

        try (PeerConnection lease = pool.acquire(identity.peerId(), listener.listenAddress(), HANG_UP)) {
            assertThatThrownBy(() -> lease.request(bytes("anyone there?"), WAIT))
                    .isInstanceOf(ConnectionClosedException.class)
                    .hasMessageContaining(HANG_UP);
        }
        try (PeerConnection lease = pool.acquire(identity.peerId(), listener.listenAddress(), ECHO)) {
            assertThat(lease.request(bytes("still here"), WAIT)).isEqualTo(bytes("still here"));
        }
        assertThat(pool.getStats().connectionsCreated()).isEqualTo(1);
        assertThat(pool.getStats().connectionsFailed()).isZero();
        assertThat(pool.peer(identity.peerId()).orElseThrow().circuitBreaker().state()).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void anIdleConnectionTheRemoteClosesWithoutGoAwayIsChurn() throws Exception {
        TestPeers.Peer direct = peers.start();
        LoopbackProxy proxy = peers.closeFirst(new LoopbackProxy(direct.address()));
        Multiaddr viaProxy = proxy.address(direct.id());
        List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
        OptimizedConnectionPool pool = peers.closeFirst(
                new OptimizedConnectionPool(PoolConfig.builder().circuitBreakerFailureThreshold(1).build()));
        pool.subscribeEvents(events::add);
        try (PeerConnection lease = pool.acquire(direct.id(), viaProxy)) {
            assertThat(lease.request(bytes("idle next"), WAIT)).isEqualTo(bytes("idle next"));
        }
        // The proxy closes both sockets with nothing unread: a FIN, and no yamux GoAway before it.
        proxy.cutAll();
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e instanceof ConnectionEvent.Disconnected));
        assertThat(events).filteredOn(e -> e instanceof ConnectionEvent.Disconnected).singleElement()
                .extracting(e -> ((ConnectionEvent.Disconnected) e).reason()).asString().contains("closed by the peer");
        PoolStats stats = pool.getStats();
        assertThat(stats.closedByPeer()).isEqualTo(1);
        assertThat(stats.connectionsFailed()).isZero();
        assertThat(pool.peer(direct.id()).orElseThrow().circuitBreaker().state()).isEqualTo(CircuitState.CLOSED);
    }
}
