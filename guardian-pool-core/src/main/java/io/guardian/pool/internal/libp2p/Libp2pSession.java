package io.guardian.pool.internal.libp2p;

import io.guardian.pool.net.PeerSession;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.PeerId;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Optional;

/**
 * A {@code PeerListener}'s view of one inbound libp2p connection. Not API. Byte counters count
 * stream payload as yamux carries it, both directions of every stream.
 */
public final class Libp2pSession implements PeerSession {

    private final Libp2pConnection connection;
    private final InetSocketAddress remote;
    private final Instant openedAt;

    /**
     * @param connection the upgraded connection
     * @param remote the dialer's socket address
     * @param openedAt when the upgrade completed
     */
    public Libp2pSession(Libp2pConnection connection, InetSocketAddress remote, Instant openedAt) {
        this.connection = connection;
        this.remote = remote;
        this.openedAt = openedAt;
    }

    /** @return the connection underneath */
    public Libp2pConnection connection() {
        return connection;
    }

    @Override
    public Optional<PeerId> remotePeer() {
        return Optional.of(connection.remotePeer());
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public ProtocolVersion protocolVersion() {
        return ProtocolVersion.LIBP2P;
    }

    @Override
    public Instant openedAt() {
        return openedAt;
    }

    @Override
    public long bytesReceived() {
        return connection.bytesReceived();
    }

    @Override
    public long bytesSent() {
        return connection.bytesSent();
    }

    @Override
    public boolean isOpen() {
        return connection.isOpen();
    }

    @Override
    public void close() {
        connection.close();
    }

    @Override
    public String toString() {
        return "Libp2pSession[" + connection.remotePeer() + " from " + remote + "]";
    }
}
