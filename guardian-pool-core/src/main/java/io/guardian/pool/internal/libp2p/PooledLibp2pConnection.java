package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.MessageChannel;
import io.guardian.pool.internal.transport.PooledTransport;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A libp2p connection as the pool keeps it: each allocation is a yamux stream of its own,
 * negotiated to the lease's protocol, carrying uvarint-length-prefixed messages. Not API.
 */
public final class PooledLibp2pConnection implements PooledTransport {

    private final Libp2pConnection connection;
    private final int streamLimit;
    private final int maxMessage;
    private final CompletableFuture<Void> closed;

    /**
     * @param connection the upgraded connection
     * @param streamLimit how many streams the pool may lend at once ({@code max-streams-per-connection})
     * @param maxMessage the largest message a stream's receive accepts, in bytes
     */
    public PooledLibp2pConnection(Libp2pConnection connection, int streamLimit, int maxMessage) {
        if (streamLimit < 1) {
            throw new IllegalArgumentException("streamLimit must be at least 1, was " + streamLimit);
        }
        this.connection = connection;
        this.streamLimit = streamLimit;
        this.maxMessage = maxMessage;
        this.closed = connection.closeFuture();
    }

    /** @return the connection underneath (identify, the stream count) */
    public Libp2pConnection connection() {
        return connection;
    }

    @Override
    public PeerId remotePeer() {
        return connection.remotePeer();
    }

    @Override
    public Multiaddr remoteAddress() {
        return connection.remoteAddress();
    }

    /**
     * The round trip Noise measured (our message to the remote's answer, its Noise work included),
     * not the whole upgrade, which spans several round trips and our own public-key work.
     */
    @Override
    public long handshakeRttNanos() {
        return connection.handshakeRttNanos();
    }

    /** The upgrade's duration: TCP connect to muxer agreement. */
    @Override
    public long setupNanos() {
        return connection.upgradeNanos();
    }

    @Override
    public boolean isOpen() {
        return connection.isOpen();
    }

    @Override
    public boolean reusable() {
        return connection.acceptsStreams();
    }

    @Override
    public CompletableFuture<Long> ping(Duration timeout) {
        return connection.ping(timeout);
    }

    @Override
    public void close(String reason) {
        connection.close();
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        return closed;
    }

    @Override
    public String closeReason() {
        return connection.closeReason();
    }

    @Override
    public boolean closedByRemote() {
        return connection.closedByRemote();
    }

    @Override
    public long bytesSent() {
        return connection.bytesSent();
    }

    @Override
    public long bytesReceived() {
        return connection.bytesReceived();
    }

    @Override
    public int allocationLimit() {
        return streamLimit;
    }

    /** Always: even with a limit of one stream, a lease is a stream and the connection stays. */
    @Override
    public boolean multiplexed() {
        return true;
    }

    @Override
    public MessageChannel channel(String protocol) {
        return new StreamMessages(connection.openStream(protocol), maxMessage);
    }

    @Override
    public boolean initiator() {
        return connection.initiator();
    }

    @Override
    public String toString() {
        return connection.toString();
    }
}
