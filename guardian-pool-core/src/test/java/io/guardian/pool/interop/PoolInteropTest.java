package io.guardian.pool.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.ConnectionTimeoutException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.event.ConnectionEvent;
import java.util.List;

/**
 * The pool against a js-libp2p node (interop/js), in the default build: Node.js is all it needs.
 * The node ends our connection through {@code /guardian/close-conn/1.0.0}, leased on the same
 * connection as an echo lease that is in use.
 */
class PoolInteropTest extends PoolInteropBase {

    @Override
    Lang lang() {
        return Lang.JS;
    }

    @Override
    String[] churnFlags() {
        return null;
    }

    @Override
    void remoteEndsOurConnection(OptimizedConnectionPool pool, InteropPeer node, List<ConnectionEvent> events) {
        byte[] message = {1, 2, 3, 4};
        try (PeerConnection held = pool.acquire(node.peerId(), node.address(), ECHO);
                PeerConnection closer = pool.acquire(node.peerId(), node.address(), CLOSE_CONN)) {
            assertThat(held.request(message, T)).isEqualTo(message);
            assertThat(closer.protocol()).isEqualTo(CLOSE_CONN);
            assertThat(pool.getStats().connectionsCreated()).as("both leases on one connection").isEqualTo(1);
            // close-conn answers nothing: it reads the request's first byte and closes the connection.
            assertThatThrownBy(() -> closer.request(new byte[] {9}, SHORT))
                    .isInstanceOf(GuardianPoolException.class).isNotInstanceOf(ConnectionTimeoutException.class);
            node.awaitEvent(e -> "close-conn".equals(e.get("event"))
                    && pool.localPeerId().toString().equals(e.get("peer")), T);
            assertFailsAsChurn(held, message);
            // The dead connection is still leased (the pool retires it at the last release), yet a
            // new acquire must not be handed a stream on it.
            echoOnce(pool, node, ECHO, message);
        }
        awaitDisconnected(events, node, T);
    }
}
