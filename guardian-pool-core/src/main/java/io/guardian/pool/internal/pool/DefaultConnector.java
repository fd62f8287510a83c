package io.guardian.pool.internal.pool;

import io.guardian.pool.internal.transport.Connector;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.peer.PeerIdentity;

/** Creates the production {@link Connector}: the Netty dialer of {@code io.guardian.pool.net}. Not API. */
final class DefaultConnector {

    private DefaultConnector() {
    }

    static Connector create(PeerIdentity local, ProtocolConfig protocol) {
        throw new UnsupportedOperationException("the Netty dialer is not wired in yet");
    }
}
