package io.guardian.pool.internal.transport;

import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
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
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The Netty {@link Connector}: resolves (off the event loop), connects, runs the handshake of
 * {@link ProtocolConfig#version()} and completes with a {@link FramedConnection}. Not API.
 *
 * <p>Life cycle: the constructor takes a reference to the shared {@link EventLoops};
 * {@link #close()} closes what this connector opened and gives the reference back. A pool creates
 * one connector and closes it when it closes.
 *
 * <p>Threading: the returned futures complete on an event-loop thread. Dependent stages must not
 * block; use the {@code *Async} variants (or a pool thread) for anything slow.
 */
public final class NettyConnector implements Connector {

    private final PeerIdentity local;
    private final ProtocolConfig config;
    private final Clock clock;
    private final SecureRandom random;
    private final EventLoops loops;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Set<Attempt> attempts = ConcurrentHashMap.newKeySet();
    private final Set<NettyFramedConnection> connections = ConcurrentHashMap.newKeySet();

    /**
     * A connector with the system clock and a {@link SecureRandom} for nonces.
     *
     * @param local our identity: 1.1 signs AUTH-D with it
     * @param config the version to speak, skew, frame size and per-read handshake deadline
     */
    public NettyConnector(PeerIdentity local, ProtocolConfig config) {
        this(local, config, Clock.systemUTC(), new SecureRandom());
    }

    /**
     * A connector with injected time and randomness, so tests can pin every handshake byte.
     *
     * @param local our identity
     * @param config protocol settings
     * @param clock source of HELLO timestamps (Unix seconds) and of "now" for the skew check
     * @param random source of the 32-byte dialer nonce
     */
    public NettyConnector(PeerIdentity local, ProtocolConfig config, Clock clock, SecureRandom random) {
        this.local = Objects.requireNonNull(local, "local identity");
        this.config = Objects.requireNonNull(config, "protocol config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.loops = EventLoops.acquire();
    }

    /** @return the configuration this connector dials with */
    public ProtocolConfig config() {
        return config;
    }

    @Override
    public CompletableFuture<FramedConnection> connect(PeerId peer, Multiaddr address, Duration timeout) {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("connection timeout must be positive, was " + timeout);
        }
        if (closed.get()) {
            return CompletableFuture.failedFuture(new TransportException(Kind.CLOSED_LOCALLY, "cannot dial " + peer
                    + " at " + address + ": the connector is closed"));
        }
        if (config.version() == ProtocolVersion.V1_1 && !peer.isEd25519()) {
            return CompletableFuture.failedFuture(new TransportException(Kind.UNSUPPORTED_KEY, "cannot dial " + peer
                    + " at " + address + " with guardian-db/1.1: only an Ed25519 identity PeerId (12D3KooW...) "
                    + "carries the key the listener must prove; use the peer's Ed25519 id, or dial with "
                    + "protocol version 1.0 if the peer is trusted"));
        }
        Optional<PeerId> suffix = address.peerId();
        if (suffix.isPresent() && !suffix.get().equals(peer)) {
            return CompletableFuture.failedFuture(new TransportException(Kind.REFUSED, "cannot dial " + peer + " at "
                    + address + ": the address ends in /p2p/" + suffix.get() + ", another peer"));
        }
        if (!address.isTcpDialable()) {
            return CompletableFuture.failedFuture(new TransportException(Kind.REFUSED, "cannot dial " + peer + " at "
                    + address + ": not a dialable address; use /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port> with a "
                    + "port other than 0, optionally ending in /p2p/<peer-id>"));
        }
        InetSocketAddress target = address.toSocketAddress();
        Attempt attempt = new Attempt(peer, address, timeout);
        attempts.add(attempt);
        if (closed.get()) {
            attempt.failed(new TransportException(Kind.CLOSED_LOCALLY, "cannot dial " + peer + " at " + address
                    + ": the connector is closed"));
            return attempt.result;
        }
        if (target.isUnresolved()) {
            resolveThenConnect(attempt, target);
        } else {
            connect(attempt, target);
        }
        return attempt.result;
    }

    private void resolveThenConnect(Attempt attempt, InetSocketAddress unresolved) {
        String kind = attempt.address.components().get(0).protocol();
        boolean v4Only = "dns4".equals(kind);
        boolean v6Only = "dns6".equals(kind);
        try {
            loops.offload().execute(() -> {
                if (attempt.result.isDone()) {
                    return;
                }
                try {
                    InetAddress chosen = null;
                    for (InetAddress candidate : InetAddress.getAllByName(unresolved.getHostString())) {
                        if ((!v4Only || candidate instanceof Inet4Address)
                                && (!v6Only || candidate instanceof Inet6Address)) {
                            chosen = candidate;
                            break;
                        }
                    }
                    if (chosen == null) {
                        throw new UnknownHostException(unresolved.getHostString() + " has no "
                                + (v4Only ? "IPv4" : "IPv6") + " address");
                    }
                    connect(attempt, new InetSocketAddress(chosen, unresolved.getPort()));
                } catch (UnknownHostException e) {
                    attempt.failed(new TransportException(Kind.REFUSED, "cannot dial " + attempt.peer + " at "
                            + attempt.address + ": name not resolved (" + e.getMessage() + ")", e));
                }
            });
        } catch (RejectedExecutionException e) {
            attempt.failed(new TransportException(Kind.LIMIT_EXCEEDED, "cannot dial " + attempt.peer + " at "
                    + attempt.address + ": too many lookups and handshakes in progress in this JVM; retry later", e));
        }
    }

    private void connect(Attempt attempt, InetSocketAddress target) {
        long leftMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(attempt.deadlineNanos - System.nanoTime()));
        Bootstrap bootstrap = new Bootstrap()
                .group(loops.group())
                .channel(loops.socketChannelType())
                .option(ChannelOption.TCP_NODELAY, true)
                // Slightly beyond our own deadline, which then wins and reports a timeout consistently.
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, leftMillis + 100))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast("handshake", new DialerHandshake(local, config, clock, random,
                                loops.offload(), attempt.peer, attempt.address, attempt));
                    }
                });
        ChannelFuture connecting;
        try {
            connecting = bootstrap.connect(target);
        } catch (RejectedExecutionException e) {
            attempt.failed(new TransportException(Kind.CLOSED_LOCALLY, "cannot dial " + attempt.peer
                    + ": the connector is closed", e));
            return;
        }
        attempt.attach(connecting.channel());
        connecting.addListener(done -> {
            if (!done.isSuccess()) {
                Throwable cause = done.cause();
                if (cause instanceof ConnectTimeoutException) {
                    attempt.failed(new TransportException(Kind.TIMED_OUT, attempt.describe()
                            + "TCP connect did not complete within connection-timeout " + attempt.timeout.toMillis()
                            + " ms", cause));
                } else {
                    attempt.failed(new TransportException(Kind.REFUSED, attempt.describe() + "could not connect to "
                            + target + ": " + cause.getMessage(), cause));
                }
            }
        });
    }

    /**
     * Fails pending dials, closes every connection this connector opened that is still open, and
     * releases the event loops. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (Attempt attempt : new ArrayList<>(attempts)) {
            attempt.failed(new TransportException(Kind.CLOSED_LOCALLY, "dial of " + attempt.peer + " at "
                    + attempt.address + " abandoned: the connector is closing"));
        }
        for (NettyFramedConnection connection : new ArrayList<>(connections)) {
            connection.close("dialer shutting down");
        }
        loops.release();
    }

    /** One dial: its future, its overall deadline, and its channel once there is one. */
    private final class Attempt implements DialerHandshake.Outcome {
        final PeerId peer;
        final Multiaddr address;
        final Duration timeout;
        final long deadlineNanos;
        final CompletableFuture<FramedConnection> result = new CompletableFuture<>();
        private final io.netty.util.concurrent.ScheduledFuture<?> timer;
        private volatile Channel channel;

        Attempt(PeerId peer, Multiaddr address, Duration timeout) {
            this.peer = peer;
            this.address = address;
            this.timeout = timeout;
            this.deadlineNanos = System.nanoTime() + timeout.toNanos();
            this.timer = loops.group().next().schedule(() -> failed(new TransportException(Kind.TIMED_OUT, describe()
                    + "connect and handshake did not complete within connection-timeout " + timeout.toMillis()
                    + " ms")), timeout.toNanos(), TimeUnit.NANOSECONDS);
            // Failure, timeout or the caller's cancel: whatever socket exists is closed.
            result.whenComplete((connection, failure) -> {
                timer.cancel(false);
                attempts.remove(this);
                if (failure != null) {
                    closeChannel();
                }
            });
        }

        void attach(Channel opened) {
            channel = opened;
            if (result.isCompletedExceptionally()) {
                closeChannel();
            }
        }

        private void closeChannel() {
            Channel opened = channel;
            if (opened != null) {
                opened.close();
            }
        }

        @Override
        public void succeeded(NettyFramedConnection connection) {
            connections.add(connection);
            connection.closeFuture().whenComplete((ignored, failure) -> connections.remove(connection));
            if (!result.complete(connection) || closed.get()) {
                // Timed out, cancelled or closed meanwhile: nobody will use it.
                connection.close("dial abandoned");
            }
        }

        @Override
        public void failed(TransportException failure) {
            result.completeExceptionally(failure);
        }

        String describe() {
            return "dial of " + peer + " at " + address + " failed: ";
        }
    }
}
