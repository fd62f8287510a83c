package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.MessageChannel;
import io.guardian.pool.internal.transport.PooledTransport;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A libp2p connection as the pool keeps it: each allocation is a yamux stream of its own,
 * negotiated to the lease's protocol, carrying uvarint-length-prefixed messages. Not API.
 *
 * <p>Streams of a reusable protocol ({@code reusable-stream-protocols}) that end their lease clean
 * stay open, parked in {@link IdleStreams}, and carry the next lease of that protocol on this
 * connection: one stream, message after message, instead of a stream per lease.
 */
public final class PooledLibp2pConnection implements PooledTransport {

    private final Libp2pConnection connection;
    private final int streamLimit;
    private final int maxMessage;
    private final CompletableFuture<Void> closed;
    /** Protocols whose streams may carry several leases one after another; empty: a stream per lease. */
    private final Set<String> reusable;
    /** Streams parked between leases; {@code null} when no protocol is reusable. */
    private final IdleStreams idle;

    /**
     * A connection with a stream per lease.
     *
     * @param connection the upgraded connection
     * @param streamLimit how many streams the pool may lend at once ({@code max-streams-per-connection})
     * @param maxMessage the largest message a stream's receive accepts, in bytes
     */
    public PooledLibp2pConnection(Libp2pConnection connection, int streamLimit, int maxMessage) {
        this(connection, streamLimit, maxMessage, Set.of(), 1L);
    }

    /**
     * @param connection the upgraded connection
     * @param streamLimit how many streams the pool may lend at once ({@code max-streams-per-connection});
     *     parked streams and lent ones together stay within it
     * @param maxMessage the largest message a stream's receive accepts, in bytes
     * @param reusable protocols whose streams are kept open between leases (may be empty)
     * @param maxIdleNanos how long a stream may stay parked before it is closed
     */
    public PooledLibp2pConnection(Libp2pConnection connection, int streamLimit, int maxMessage, Set<String> reusable,
            long maxIdleNanos) {
        if (streamLimit < 1) {
            throw new IllegalArgumentException("streamLimit must be at least 1, was " + streamLimit);
        }
        this.connection = connection;
        this.streamLimit = streamLimit;
        this.maxMessage = maxMessage;
        this.closed = connection.closeFuture();
        this.reusable = Set.copyOf(reusable);
        if (this.reusable.isEmpty()) {
            this.idle = null;
        } else {
            IdleStreams streams = new IdleStreams(streamLimit, maxIdleNanos, connection::acceptsStreams);
            this.idle = streams;
            // Parked streams die with the connection (the session resets them); this forgets them.
            closed.whenComplete((ok, error) -> streams.close());
        }
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
        if (idle == null) {
            return new StreamMessages(connection.openStream(protocol), maxMessage);
        }
        boolean reuse = reusable.contains(protocol);
        StreamMessages parked = idle.take(protocol, reuse);
        if (parked != null) {
            return parked;
        }
        StreamChannel stream;
        try {
            stream = connection.openStream(protocol);
        } catch (RuntimeException e) {
            idle.returned(); // counted as lent by take
            throw e;
        }
        return new StreamMessages(stream, maxMessage, idle, reuse);
    }

    /** @return streams parked between leases now (0 when no protocol is reusable) */
    public int idleStreams() {
        return idle == null ? 0 : idle.parkedCount();
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
