package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.libp2p.yamux.YamuxSession;
import io.guardian.pool.internal.libp2p.yamux.YamuxStream;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.netty.channel.Channel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One authenticated, multiplexed libp2p connection (TCP, Noise, yamux), in either direction: the
 * unit the pool will lend streams on. Not API.
 *
 * <p>What it exposes: the remote's PeerId (proven by Noise), the address, the upgrade's duration,
 * the remote's identify answer (asked for as soon as the connection is up, as js- and go-libp2p
 * do), yamux Ping round trips, and {@link #openStream(String)}, which returns at once: the stream
 * selects its protocol lazily with its first bytes.
 *
 * <p>Threading: {@link #openStream}, {@link #ping}, {@link #close} may be called from any thread;
 * futures complete on the connection's event loop, so their dependent stages must not block.
 */
public final class Libp2pConnection {

    private static final Logger LOG = LoggerFactory.getLogger(Libp2pConnection.class);

    private final Libp2pNode node;
    private final Channel channel;
    private final boolean initiator;
    private final PeerId remotePeer;
    private final Multiaddr remoteAddress;
    private final long upgradeNanos;
    private final YamuxSession session;
    private final Traffic traffic = new Traffic();
    private final CompletableFuture<IdentifyInfo> identify = new CompletableFuture<>();

    private final long handshakeRttNanos;

    Libp2pConnection(Libp2pNode node, Channel channel, boolean initiator, PeerId remotePeer, Multiaddr remoteAddress,
            long upgradeNanos, long handshakeRttNanos) {
        this.handshakeRttNanos = handshakeRttNanos;
        this.node = node;
        this.channel = channel;
        this.initiator = initiator;
        this.remotePeer = remotePeer;
        this.remoteAddress = remoteAddress.peerId().isPresent() ? remoteAddress : remoteAddress.withPeerId(remotePeer);
        this.upgradeNanos = upgradeNanos;
        this.session = new YamuxSession(initiator, node.settings().yamux(), this::accept, node.inboundMemory().open());
    }

    YamuxSession session() {
        return session;
    }

    /** The muxer is in place: hand the connection out and ask the remote who it is. */
    void start(CompletableFuture<Libp2pConnection> result) {
        IdentifyProtocol.request(this, node.settings().identifyTimeout()).whenComplete((info, error) -> {
            if (error != null) {
                LOG.debug("Identify of {} failed: {}", remotePeer, error.getMessage());
                identify.completeExceptionally(error);
            } else {
                identify.complete(info);
            }
        });
        if (!result.complete(this)) {
            channel.close();
        }
    }

    /** @return the PeerId the remote proved in the Noise handshake */
    public PeerId remotePeer() {
        return remotePeer;
    }

    /** @return the remote's address, ending in {@code /p2p/<remote PeerId>} */
    public Multiaddr remoteAddress() {
        return remoteAddress;
    }

    /** @return whether we dialed this connection */
    public boolean initiator() {
        return initiator;
    }

    /**
     * @return a round trip measured in the Noise handshake (the remote's Noise work included), in
     *     nanoseconds; 0 if none was
     */
    public long handshakeRttNanos() {
        return handshakeRttNanos;
    }

    /** @return how long TCP connect to muxer agreement took (the upgrade), in nanoseconds */
    public long upgradeNanos() {
        return upgradeNanos;
    }

    /**
     * The remote's identify answer: its agent, protocols and listen addresses. Asked for once, when
     * the connection came up.
     *
     * @return completes with the answer, or fails with a {@link TransportException}
     */
    public CompletableFuture<IdentifyInfo> identify() {
        return identify;
    }

    /**
     * Opens a stream negotiated to {@code protocol}: returns at once; the header and proposal go
     * out with the first write (0-RTT). If the remote refuses the protocol, the first read fails
     * with {@code PROTOCOL_REFUSED}.
     *
     * @param protocol the protocol id
     * @return the stream
     * @throws TransportException {@code LIMIT_EXCEEDED} at the stream limit, {@code CLOSED_*} when
     *     the connection is closing
     */
    public StreamChannel openStream(String protocol) {
        YamuxStream yamux = session.openStream();
        StreamChannel stream = StreamChannel.outbound(yamux, remotePeer, channel.eventLoop(), channel.alloc(),
                node.settings().writeTimeout(), protocol, new Selection.Listener() {
                    @Override
                    public void selected(StreamChannel s, String p) {
                        // The caller already holds the stream; nothing to dispatch.
                    }
                }, traffic, node.settings().yamux().maxBufferedOutbound());
        yamux.listener(stream);
        return stream;
    }

    /**
     * Measures the round trip with a yamux Ping.
     *
     * @param timeout how long to wait for the answer
     * @return the round trip in nanoseconds
     */
    public CompletableFuture<Long> ping(Duration timeout) {
        return session.ping(timeout);
    }

    /**
     * Measures the round trip with the {@code /ipfs/ping/1.0.0} protocol (a stream, 32 bytes each
     * way): what other libp2p nodes' ping commands use.
     *
     * @param timeout how long to wait for the echo
     * @return the round trip in nanoseconds
     */
    public CompletableFuture<Long> pingProtocol(Duration timeout) {
        return PingProtocol.ping(this, timeout);
    }

    /** @return whether the connection is up and no GoAway was exchanged */
    public boolean isOpen() {
        return channel.isActive() && session.isOpen();
    }

    /**
     * Whether new streams may be opened: open, and neither side sent GoAway.
     *
     * @return {@code true} if a stream opened now would not be refused by the session
     */
    public boolean acceptsStreams() {
        return isOpen() && !session.goAwayReceived() && !session.goAwaySent();
    }

    /**
     * Whether the remote ended the connection in order (GoAway, FIN, or a reset socket):
     * churn, not a protocol error of either side.
     *
     * @return {@code true} if the remote closed it
     */
    public boolean closedByRemote() {
        if (session.goAwayReceived()) {
            return true;
        }
        TransportException f = session.failure();
        if (f != null) {
            return f.kind() == Kind.CLOSED_BY_PEER;
        }
        // Closed, but the session has not heard yet: Netty completes the close future (which the
        // pool listens to) before channelInactive reaches the session, which would then call it
        // CLOSED_BY_PEER. A local close goes through the session first and a socket error through
        // exceptionCaught, so a socket that closed without either got the remote's FIN: rust-libp2p
        // closes idle connections that way, without GoAway.
        return !channel.isActive();
    }

    /** @return why the connection ended, or {@code null} while it works */
    public String closeReason() {
        TransportException f = session.failure();
        if (f != null) {
            return f.getMessage();
        }
        if (session.goAwayReceived()) {
            return "the remote sent GoAway";
        }
        return channel.isActive() ? null : "socket closed";
    }

    /** @return stream payload bytes received, all streams (negotiation excluded) */
    public long bytesReceived() {
        return traffic.received.sum();
    }

    /** @return stream payload bytes sent, all streams (negotiation excluded) */
    public long bytesSent() {
        return traffic.sent.sum();
    }

    /** @return open streams, both directions */
    public int streamCount() {
        return session.streamCount();
    }

    /** Sends GoAway (best effort) and closes the connection; every stream fails. Idempotent. */
    public void close() {
        session.close();
    }

    /** @return completes once the socket is closed, whoever closed it */
    public CompletableFuture<Void> closeFuture() {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        channel.closeFuture().addListener(f -> closed.complete(null));
        return closed;
    }

    /**
     * Opens a stream to {@code protocol} and runs a short exchange on it without blocking any
     * thread (identify, ping): {@code start} sends what the opening side sends, then {@code step}
     * runs on the event loop after each arrival until it completes the result. A failed stream, a
     * step that throws, or the deadline ends it; the stream is closed (or reset) at the end.
     *
     * @param what names the exchange in the timeout's message, e.g. "ping to <peer>"
     */
    <T> CompletableFuture<T> exchange(String protocol, Duration timeout, String what,
            java.util.function.BiConsumer<StreamChannel, CompletableFuture<T>> start,
            java.util.function.BiConsumer<StreamChannel, CompletableFuture<T>> step) {
        CompletableFuture<T> result = new CompletableFuture<>();
        StreamChannel stream;
        try {
            stream = openStream(protocol);
        } catch (TransportException e) {
            return CompletableFuture.failedFuture(e);
        }
        start.accept(stream, result);
        stream.onChange(() -> {
            if (result.isDone()) {
                return;
            }
            TransportException failure = stream.failure();
            if (failure != null) {
                result.completeExceptionally(failure);
                return;
            }
            try {
                step.accept(stream, result);
            } catch (TransportException e) {
                stream.reset();
                result.completeExceptionally(e);
            }
            if (result.isDone()) {
                stream.close();
            }
        });
        schedule(() -> {
            if (result.completeExceptionally(new TransportException(Kind.TIMED_OUT, what + " not answered within "
                    + timeout.toMillis() + " ms"))) {
                stream.reset();
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        return result;
    }

    /** Runs {@code task} on this connection's event loop after {@code delay}; nothing if the loop is gone. */
    void schedule(Runnable task, long delay, TimeUnit unit) {
        try {
            channel.eventLoop().schedule(task, delay, unit);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    /** An inbound stream: negotiate its protocol on the event loop, then serve it. */
    private boolean accept(YamuxStream yamux) {
        StreamChannel stream = StreamChannel.inbound(yamux, remotePeer, channel.eventLoop(), channel.alloc(),
                node.settings().writeTimeout(), Selection.responder(node::supports, new Selection.Listener() {
                    @Override
                    public void selected(StreamChannel s, String protocol) {
                        serve(s, protocol);
                    }
                }), traffic, node.settings().yamux().maxBufferedOutbound());
        yamux.listener(stream);
        schedule(() -> {
            if (stream.protocol() == null && stream.failure() == null) {
                stream.fail(new TransportException(Kind.TIMED_OUT, remotePeer + " did not agree on a protocol within "
                        + node.settings().selectTimeout().toMillis() + " ms"));
                yamux.reset();
            }
        }, node.settings().selectTimeout().toNanos(), TimeUnit.NANOSECONDS);
        return true;
    }

    private void serve(StreamChannel stream, String protocol) {
        if (IdentifyInfo.PROTOCOL.equals(protocol)) {
            IdentifyProtocol.serve(stream, node.identifyFor(this));
        } else if (PingProtocol.PROTOCOL.equals(protocol)) {
            PingProtocol.serve(stream);
        } else {
            node.dispatch(stream, protocol);
        }
    }

    @Override
    public String toString() {
        return "Libp2pConnection[" + (initiator ? "to " : "from ") + remoteAddress + (isOpen() ? "" : ", closed") + "]";
    }
}
