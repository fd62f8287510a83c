package io.guardian.pool.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The public listener API: builder validation, the listen address, life cycle. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PeerListenerTest {

    private final PeerIdentity identity = PeerIdentity.generate();
    private final Multiaddr anyPort = Multiaddr.parse("/ip4/127.0.0.1/tcp/0");

    @Test
    void listenAddressHasTheRealPortAndOurPeerId() {
        try (PeerListener listener = PeerListener.builder(identity).bind(anyPort).handler((f, m) -> m).start()) {
            Multiaddr address = listener.listenAddress();
            assertThat(address.port()).isPositive();
            assertThat(address.host()).isEqualTo("127.0.0.1");
            assertThat(address.peerId()).contains(identity.peerId());
            assertThat(listener.peerId()).isEqualTo(identity.peerId());
            assertThat(listener.isOpen()).isTrue();
            assertThat(listener.connectionCount()).isZero();
            assertThat(listener.sessions()).isEmpty();
            assertThat(listener.toString()).contains(address.toString());
        }
    }

    @Test
    void bindAddressMayCarryOurOwnPeerIdButNoOther() {
        try (PeerListener listener = PeerListener.builder(identity).bind(anyPort.withPeerId(identity.peerId()))
                .handler((f, m) -> m).start()) {
            assertThat(listener.isOpen()).isTrue();
        }
        Multiaddr foreign = anyPort.withPeerId(PeerIdentity.generate().peerId());
        assertThatThrownBy(() -> PeerListener.builder(identity).bind(foreign).handler((f, m) -> m).start())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("drop the /p2p/ suffix");
    }

    @Test
    void startWithoutAddressOrHandlerSaysWhatIsMissing() {
        assertThatThrownBy(() -> PeerListener.builder(identity).handler((f, m) -> m).start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("bind(");
        assertThatThrownBy(() -> PeerListener.builder(identity).bind(anyPort).start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("handler(");
    }

    @Test
    void capsBelowOneAreRejectedByName() {
        PeerListener.Builder builder = PeerListener.builder(identity).bind(anyPort).handler((f, m) -> m);
        assertThatThrownBy(() -> builder.maxInboundConnections(0).start())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max-inbound-connections");
        assertThatThrownBy(() -> builder.maxInboundConnections(1).maxInboundPerPeer(0).start())
                .hasMessageContaining("max-inbound-per-peer");
        assertThatThrownBy(() -> builder.maxInboundPerPeer(1).maxPendingHandshakes(-1).start())
                .hasMessageContaining("max-pending-handshakes");
    }

    @Test
    void nonTcpAddressIsRejected() {
        assertThatThrownBy(() -> PeerListener.builder(identity).bind(Multiaddr.parse("/ip4/127.0.0.1/udp/0"))
                .handler((f, m) -> m).start()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("/tcp/");
    }

    @Test
    void portInUseFailsWithTheAddressInTheMessage() {
        try (PeerListener first = PeerListener.builder(identity).bind(anyPort).handler((f, m) -> m).start()) {
            Multiaddr taken = first.listenAddress().withoutPeerId();
            assertThatThrownBy(() -> PeerListener.builder(identity).bind(taken).handler((f, m) -> m).start())
                    .isInstanceOf(UncheckedIOException.class).hasMessageContaining(String.valueOf(taken.port()));
        }
    }

    @Test
    void closeIsIdempotentAndLeavesACallerExecutorRunning() {
        ExecutorService mine = Executors.newSingleThreadExecutor();
        try {
            PeerListener listener = PeerListener.builder(identity).bind(anyPort).handler((f, m) -> m)
                    .handlerExecutor(mine).start();
            listener.close();
            listener.close();
            assertThat(listener.isOpen()).isFalse();
            assertThat(mine.isShutdown()).isFalse();
        } finally {
            mine.shutdownNow();
        }
    }

    @Test
    void localhostNameIsResolvedForBinding() {
        try (PeerListener listener = PeerListener.builder(identity).bind(Multiaddr.parse("/dns4/localhost/tcp/0"))
                .handler((f, m) -> m).start()) {
            assertThat(listener.listenAddress().port()).isPositive();
        }
    }
}
