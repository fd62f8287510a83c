package io.guardian.pool.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.event.ConnectionEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

/**
 * The pool against go-libp2p and rust-libp2p nodes (interop/go, interop/rust). Tagged
 * {@code interop-native} like {@link NativeInteropTest}: run with {@code -Pinterop-native}.
 */
@Tag("interop-native")
class NativePoolInteropTest {

    /**
     * go: its connection manager ({@link PeerModes#goTrimFlags()}: low 1, high 2, grace 1 s)
     * trims us while we hold a lease, because a neighbour holds more streams.
     */
    @Nested
    class Go extends PoolInteropBase {

        @Override
        Lang lang() {
            return Lang.GO;
        }

        @Override
        String[] churnFlags() {
            return PeerModes.goTrimFlags();
        }

        @Override
        void remoteEndsOurConnection(OptimizedConnectionPool pool, InteropPeer node, List<ConnectionEvent> events) {
            byte[] message = {1, 2, 3, 4};
            String neighbourId;
            try (OptimizedConnectionPool neighbour = new OptimizedConnectionPool(config().build())) {
                neighbourId = neighbour.localPeerId().toString();
                List<PeerConnection> busy = new ArrayList<>();
                PeerConnection held = pool.acquire(node.peerId(), node.address(), ECHO);
                try {
                    assertThat(held.request(message, T)).isEqualTo(message);
                    // go closes peers with fewer open streams first: three against our one.
                    for (int i = 0; i < 3; i++) {
                        PeerConnection lease = neighbour.acquire(node.peerId(), node.address(), ECHO);
                        busy.add(lease);
                        assertThat(lease.request(message, T)).isEqualTo(message);
                    }
                    String us = pool.localPeerId().toString();
                    node.awaitEvent(e -> "disconnected".equals(e.get("event")) && us.equals(e.get("peer")), T);
                    assertFailsAsChurn(held, message);
                    assertThat(busy.get(0).request(message, T)).as("the busier neighbour is kept").isEqualTo(message);
                    // The trimmed connection is still leased (the pool retires it at the last release),
                    // yet a new acquire must not be handed a stream on it. The new connection is in its
                    // grace period, so go leaves it alone for now.
                    echoOnce(pool, node, ECHO, message);
                } finally {
                    held.close();
                    busy.forEach(PeerConnection::close);
                }
            }
            awaitDisconnected(events, node, T);
            // With the neighbour gone go holds fewer connections than its high watermark, so it trims
            // no more and the pool's new connection lives.
            node.awaitEvent(e -> "disconnected".equals(e.get("event")) && neighbourId.equals(e.get("peer")), T);
        }
    }

    /**
     * rust: its idle timeout ({@code --idle-timeout-ms 500}) never closes a connection under an open
     * lease (rust-libp2p counts open streams as activity), and closes it once the lease ends.
     */
    @Nested
    class Rust extends PoolInteropBase {

        static final Duration IDLE = Duration.ofMillis(500);

        @Override
        Lang lang() {
            return Lang.RUST;
        }

        @Override
        String[] churnFlags() {
            return new String[] {"--idle-timeout-ms", Long.toString(IDLE.toMillis())};
        }

        @Override
        void remoteEndsOurConnection(OptimizedConnectionPool pool, InteropPeer node, List<ConnectionEvent> events) {
            byte[] message = {1, 2, 3, 4};
            try (PeerConnection held = pool.acquire(node.peerId(), node.address(), ECHO)) {
                assertThat(held.request(message, T)).isEqualTo(message);
                await("the connection lives while a lease is open").during(IDLE.multipliedBy(4))
                        .atMost(IDLE.multipliedBy(4).plus(T)).until(() -> events.stream().noneMatch(
                                e -> e instanceof ConnectionEvent.Disconnected && e.peerId().equals(node.peerId())));
                assertThat(held.request(message, T)).isEqualTo(message);
            }
            awaitDisconnected(events, node, T);
            String us = pool.localPeerId().toString();
            assertThat(String.valueOf(node.awaitEvent(e -> "disconnected".equals(e.get("event"))
                    && us.equals(e.get("peer")), T).get("error"))).as("rust closed it for idleness")
                    .contains("KeepAliveTimeout");
        }
    }
}
