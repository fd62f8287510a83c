package io.guardian.pool.internal.pool;

import io.guardian.pool.internal.transport.Connector;
import io.guardian.pool.internal.transport.NettyConnector;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.peer.PeerIdentity;

/** Creates the production {@link Connector}: the Netty dialer of the transport package. Not API. */
final class DefaultConnector {

    private DefaultConnector() {
    }

    /**
     * @param local the identity the dialer authenticates as (1.1 signs with it)
     * @param protocol the handshake version and framing limits
     * @return a dialer the pool owns and closes
     */
    static Connector create(PeerIdentity local, ProtocolConfig protocol) {
        return new NettyConnector(local, protocol);
    }
}
