package io.guardian.pool.internal.pool;

import io.guardian.pool.PoolConfig;
import io.guardian.pool.Transport;
import io.guardian.pool.internal.libp2p.Libp2pConnector;
import io.guardian.pool.internal.libp2p.Libp2pSettings;
import io.guardian.pool.internal.transport.NettyConnector;
import io.guardian.pool.internal.transport.TransportDialer;
import io.guardian.pool.peer.PeerIdentity;

/** Creates the production dialer for the configured transport. Not API. */
final class DefaultConnector {

    private DefaultConnector() {
    }

    /**
     * @param local the identity the dialer authenticates as
     * @param config the pool's settings: transport, handshake, stream limit
     * @return a dialer the pool owns and closes
     */
    static TransportDialer create(PeerIdentity local, PoolConfig config) {
        if (config.transport() == Transport.LIBP2P) {
            Libp2pSettings settings = Libp2pSettings.defaults(local);
            return new Libp2pConnector(settings, config.maxStreamsPerConnection(), config.reusableStreamProtocols());
        }
        return new NettyConnector(local, config.protocol());
    }
}
