package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A libp2p peer that ends a lease's stream cleanly (FIN) instead of answering, as js-libp2p does
 * to every stream when it closes a connection gracefully: the request fails typed, at once, and
 * costs the stream only.
 */
@Timeout(30)
class Libp2pStreamEndTest {

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
}
