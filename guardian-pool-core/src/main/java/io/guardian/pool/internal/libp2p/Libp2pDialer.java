package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.socket.SocketChannel;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Dials libp2p peers over TCP: connect, then {@link Libp2pNode#upgrade} as initiator, requiring
 * the remote to prove the PeerId dialed. Not API; the pool builds on it.
 *
 * <p>Life cycle: takes a reference to the JVM's shared event loops; {@link #close()} closes the
 * connections it opened and gives the reference back. Futures complete on an event loop: their
 * dependent stages must not block.
 */
public final class Libp2pDialer implements AutoCloseable {

    private final Libp2pNode node;
    private final EventLoops loops;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();

    /**
     * @param node our identity and protocols (inbound streams on dialed connections are served too)
     * @param loops the shared event loops, acquired by the caller; released by {@link #close()}
     */
    public Libp2pDialer(Libp2pNode node, EventLoops loops) {
        this.node = Objects.requireNonNull(node, "node");
        this.loops = Objects.requireNonNull(loops, "loops");
    }

    /**
     * Dials {@code peer} at {@code address}.
     *
     * @param peer the PeerId the remote must prove
     * @param address {@code /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>}, optionally ending in {@code /p2p/<peer>}
     * @param timeout bound on connect plus upgrade
     * @return the connection; fails with a {@link TransportException}
     */
    public CompletableFuture<Libp2pConnection> dial(PeerId peer, Multiaddr address, Duration timeout) {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(address, "address");
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("dial timeout must be positive, was " + timeout);
        }
        if (closed.get()) {
            return failed(Kind.CLOSED_LOCALLY, "cannot dial " + peer + ": the dialer is closed");
        }
        Optional<PeerId> suffix = address.peerId();
        if (suffix.isPresent() && !suffix.get().equals(peer)) {
            return failed(Kind.REFUSED, "cannot dial " + peer + " at " + address + ": the address ends in /p2p/"
                    + suffix.get() + ", another peer");
        }
        if (!address.isTcpDialable()) {
            return failed(Kind.REFUSED, "cannot dial " + peer + " at " + address + ": not a dialable address; use "
                    + "/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port> (port not 0), optionally ending in /p2p/<peer-id>");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        CompletableFuture<Libp2pConnection> result = new CompletableFuture<>();
        InetSocketAddress target = address.toSocketAddress();
        if (!target.isUnresolved()) {
            connect(peer, address, target, deadline, result);
            return result;
        }
        try {
            loops.offload().execute(() -> {
                try {
                    connect(peer, address, resolve(address, target), deadline, result);
                } catch (UnknownHostException e) {
                    result.completeExceptionally(new TransportException(Kind.REFUSED, "cannot dial " + peer + " at "
                            + address + ": name not resolved (" + e.getMessage() + ")", e));
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new TransportException(Kind.LIMIT_EXCEEDED, "cannot dial " + peer
                    + ": too many lookups and handshakes in progress in this JVM; retry later", e));
        }
        return result;
    }

    private static InetSocketAddress resolve(Multiaddr address, InetSocketAddress unresolved) throws UnknownHostException {
        String kind = address.components().get(0).protocol();
        for (InetAddress candidate : InetAddress.getAllByName(unresolved.getHostString())) {
            if ((!"dns4".equals(kind) || candidate instanceof Inet4Address)
                    && (!"dns6".equals(kind) || candidate instanceof Inet6Address)) {
                return new InetSocketAddress(candidate, unresolved.getPort());
            }
        }
        throw new UnknownHostException(unresolved.getHostString() + " has no " + ("dns6".equals(kind) ? "IPv6" : "IPv4")
                + " address");
    }

    private void connect(PeerId peer, Multiaddr address, InetSocketAddress target, long deadline,
            CompletableFuture<Libp2pConnection> result) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            result.completeExceptionally(new TransportException(Kind.TIMED_OUT, "dial of " + peer + " at " + address
                    + " ran out of time before connecting"));
            return;
        }
        CompletableFuture<ChannelFuture> connectAttempt = new CompletableFuture<>();
        Bootstrap bootstrap = new Bootstrap()
                .group(loops.group())
                .channel(loops.socketChannelType())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        // The upgrade stages go in before the connect: a listener may speak first (go-libp2p
                        // sends its multistream header on accept), and bytes read before they are in place
                        // would be lost.
                        long remaining = Math.max(1, deadline - System.nanoTime());
                        node.upgrade(channel, true, peer, address, Duration.ofNanos(remaining), remote -> null)
                                .whenComplete((connection, error) -> {
                                    if (error != null) {
                                        // A failed connect closes the channel, which fails the upgrade too;
                                        // then the connect's own listener says what happened (refused, timeout).
                                        connectAttempt.thenAccept(attempt -> attempt.addListener(done -> {
                                            if (done.isSuccess()) {
                                                result.completeExceptionally(error);
                                            }
                                        }));
                                    } else if (closed.get() || !result.complete(connection)) {
                                        connection.close();
                                    }
                                });
                    }
                });
        ChannelFuture connecting;
        try {
            connecting = bootstrap.connect(target);
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new TransportException(Kind.CLOSED_LOCALLY, "cannot dial " + peer
                    + ": the event loops are shut down", e));
            return;
        }
        connectAttempt.complete(connecting);
        Channel channel = connecting.channel();
        channels.add(channel);
        channel.closeFuture().addListener(f -> channels.remove(channel));
        result.whenComplete((c, e) -> {
            if (e != null) {
                channel.close();
            }
        });
        connecting.addListener(done -> {
            if (!done.isSuccess()) {
                Throwable cause = done.cause();
                result.completeExceptionally(cause instanceof ConnectTimeoutException
                        ? new TransportException(Kind.TIMED_OUT, "TCP connect to " + peer + " at " + address
                                + " did not complete in time", cause)
                        : new TransportException(Kind.REFUSED, "could not connect to " + peer + " at " + address
                                + ": " + cause.getMessage(), cause));
            } else if (closed.get()) {
                result.completeExceptionally(new TransportException(Kind.CLOSED_LOCALLY, "the dialer closed while "
                        + "dialing " + peer));
            }
        });
    }

    private static <T> CompletableFuture<T> failed(Kind kind, String message) {
        return CompletableFuture.failedFuture(new TransportException(kind, message));
    }

    /** @return connections (and dials in progress) this dialer holds open */
    public int openChannels() {
        return channels.size();
    }

    /** Closes every connection this dialer opened and releases the event loops. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        boolean mayWait = !loops.isEventLoopThread();
        for (Channel channel : channels) {
            ChannelFuture closing = channel.close();
            if (mayWait) {
                closing.awaitUninterruptibly(2000);
            }
        }
        loops.release();
    }
}
