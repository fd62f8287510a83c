package io.guardian.pool.internal.transport;

import io.guardian.pool.internal.libp2p.Libp2pNode;
import io.guardian.pool.internal.libp2p.Libp2pSession;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.net.ListenerStats;
import io.guardian.pool.net.PeerSession;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.PeerId;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@code io.guardian.pool.net.PeerListener}: binds, admits connections within
 * the caps, runs {@link ListenerHandshake}, keeps the {@link InboundSession}s, and closes all of
 * it. Not API.
 *
 * <p>Admission ({@link InboundAdmission}): per-address and total caps on open and handshaking
 * sockets when the socket is accepted; the allow-list and the per-peer cap
 * ({@code maxInboundPerPeer}, authenticated dialers only: a 1.0 dialer is anonymous and only the
 * other caps bound it) once the dialer's PeerId is proven. A refused socket is closed without a
 * word; an admitted one must send its first byte within {@code first-byte-timeout}, finish its
 * handshake within {@code handshake-timeout}, and is closed once idle for {@code inbound-idle-timeout}.
 */
public final class ListenerEngine {

    private static final Logger LOG = LoggerFactory.getLogger(ListenerEngine.class);
    /** How long {@link #close()} waits for sockets and handler threads before giving up on them. */
    private static final long CLOSE_WAIT_MILLIS = 2000;
    /** Thread-name prefix of the handler pools listeners own. */
    public static final String HANDLER_THREAD_PREFIX = "guardian-handler";
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    /** Thread-name prefix of each listener's own signature-verification threads. */
    public static final String VERIFY_THREAD_PREFIX = "guardian-verify";
    private static final AtomicInteger VERIFIERS = new AtomicInteger();

    private final ListenerSettings settings;
    private final EventLoops loops;
    private final ThreadPoolExecutor ownExecutor;
    private final Executor handlerExecutor;
    /** How the listener's own handler threads wait for a connection's next message; off for a given executor. */
    private final HandlerSpin handlerSpin;
    private final Channel serverChannel;
    private final InetSocketAddress boundAddress;
    private final AtomicBoolean open = new AtomicBoolean(true);
    private final Set<Channel> children = ConcurrentHashMap.newKeySet();
    private final Set<InboundSession> sessions = ConcurrentHashMap.newKeySet();
    private final Set<Libp2pSession> libp2pSessions = ConcurrentHashMap.newKeySet();
    private final Libp2pNode node;
    /** Told of every libp2p connection accepted (a pool sharing this listener's identity), or {@code null}. */
    private volatile java.util.function.Consumer<io.guardian.pool.internal.libp2p.Libp2pConnection> inboundSink;
    private final InboundAdmission admission;
    /** Signature work of inbound handshakes, apart from the shared offload the pool's dials use. */
    private final ThreadPoolExecutor verifier;
    private final LongAdder protocolErrors = new LongAdder();

    private ListenerEngine(ListenerSettings settings) {
        this.settings = settings;
        this.admission = new InboundAdmission(settings);
        this.loops = EventLoops.acquire();
        this.verifier = admission.newVerifier(VERIFY_THREAD_PREFIX + "-" + VERIFIERS.incrementAndGet());
        if (settings.handlerExecutor() == null) {
            int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
            ownExecutor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                    new EventLoops.NamedDaemonThreads(HANDLER_THREAD_PREFIX + "-" + INSTANCES.incrementAndGet()));
            ownExecutor.allowCoreThreadTimeOut(true);
            handlerExecutor = ownExecutor;
            ThreadPoolExecutor own = ownExecutor;
            handlerSpin = HandlerSpin.configured(() -> !own.getQueue().isEmpty());
        } else {
            ownExecutor = null;
            handlerExecutor = settings.handlerExecutor();
            handlerSpin = HandlerSpin.OFF;
        }
        node = new Libp2pNode(settings.libp2p(), handlerExecutor, verifier);
        node.inboundMemory(admission.memory());
        node.handlerSpin(handlerSpin);
        settings.streamHandlers().forEach(node::handle);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops.group())
                .channel(loops.serverChannelType())
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        admit(channel);
                    }
                });
        ChannelFuture bind = bootstrap.bind(settings.bind()).awaitUninterruptibly();
        if (!bind.isSuccess()) {
            shutdownExecutor(true);
            verifier.shutdown();
            loops.release();
            Throwable cause = bind.cause();
            String message = "cannot listen on " + settings.bind() + ": " + cause.getMessage()
                    + "; choose another port or stop whatever holds this one";
            throw cause instanceof IOException ? new UncheckedIOException(message, (IOException) cause)
                    : new IllegalStateException(message, cause);
        }
        serverChannel = bind.channel();
        boundAddress = (InetSocketAddress) serverChannel.localAddress();
        List<Multiaddr> listenAddrs = List.of(Multiaddr.tcp(boundAddress));
        node.listenAddrs(() -> listenAddrs);
        if (settings.protocol().acceptPlainHandshake() && !plainAllowed()) {
            LOG.warn("Listener {} has an allow-list, so guardian-db/1.0 dialers (who cannot prove their PeerId) "
                    + "are refused although accept-plain-handshake is on", settings.identity().peerId());
        }
        LOG.info("Listening as {} on {} ({}, libp2p{})", settings.identity().peerId(), boundAddress,
                loops.transportName(), !guardianAnswered() ? "" : plainAllowed() ? ", guardian-db/1.1 and 1.0"
                        : ", guardian-db/1.1");
    }

    /**
     * Binds and starts answering; blocks until bound.
     *
     * @throws UncheckedIOException when the address cannot be bound (in use, not local)
     */
    public static ListenerEngine start(ListenerSettings settings) {
        return new ListenerEngine(settings);
    }

    /** @return the address actually bound (the real port when 0 was asked for) */
    public InetSocketAddress boundAddress() {
        return boundAddress;
    }

    /** @return open inbound sockets, handshaking or established */
    public int connectionCount() {
        return admission.connectionCount();
    }

    /** @return a snapshot of the established sessions */
    public List<PeerSession> sessions() {
        List<PeerSession> all = new ArrayList<>(sessions);
        all.addAll(libp2pSessions);
        return all;
    }

    /** @return the libp2p node answering on this listener (identity, handlers, listen addresses) */
    public Libp2pNode node() {
        return node;
    }

    /**
     * Hands every libp2p connection accepted from now on to {@code sink} (on the event loop), once
     * the remote is authenticated and admitted.
     *
     * @param sink the receiver, or {@code null} to stop
     */
    public void inboundConnections(java.util.function.Consumer<io.guardian.pool.internal.libp2p.Libp2pConnection> sink) {
        this.inboundSink = sink;
    }

    /** @return every protocol id libp2p dialers may open streams to, built-ins included */
    public List<String> protocols() {
        return node.protocols();
    }

    /** @return whether {@link #close()} has not been called */
    public boolean isOpen() {
        return open.get();
    }

    /** @return sockets closed at once because a cap was reached */
    public long refusedConnections() {
        return admission.refusedOnArrival();
    }

    /** @return handshakes that failed (any rule, timeout, or the dialer leaving) */
    public long failedHandshakes() {
        return admission.failedHandshakes();
    }

    /** @return current connections and what was refused or closed, by reason */
    public ListenerStats stats() {
        return admission.stats(sessions.size() + libp2pSessions.size(), protocolErrors.sum());
    }

    /** @return established sessions closed because the dialer broke the frame protocol */
    public long protocolErrors() {
        return protocolErrors.sum();
    }

    ListenerSettings settings() {
        return settings;
    }

    /** Where inbound handshakes verify and sign: the listener's own bounded executor. */
    Executor offload() {
        return verifier;
    }

    private void admit(SocketChannel channel) {
        if (!open.get()) {
            channel.close();
            return;
        }
        if (!admission.admit(channel)) {
            return;
        }
        children.add(channel);
        channel.closeFuture().addListener(f -> children.remove(channel));
        ListenerHandshake guardian = new ListenerHandshake(this);
        channel.pipeline().addLast("sniff", new ProtocolSniffer(this, guardian));
        channel.pipeline().addLast("handshake", guardian);
    }

    /** Whether guardian-db dialers are answered at all: only with a message handler for them. */
    boolean guardianAnswered() {
        return settings.handler() != null;
    }

    /** A guardian-db dialer on a listener that only speaks libp2p: dropped like any failed handshake. */
    void refuseGuardian(Channel channel, ListenerHandshake guardian) {
        guardian.finish();
        handshakeEnded(channel, TransportException.Kind.PROTOCOL_REFUSED);
        LOG.debug("Dropping {}: guardian-db dialer, but this listener has no guardian-db message handler",
                channel.remoteAddress());
        channel.close();
    }

    /**
     * The dialer speaks libp2p: the guardian-db handshake steps aside (its deadline with it) and the
     * libp2p upgrade runs, with the allow-list and the per-peer cap applied once Noise has proven
     * the dialer's PeerId and before any of its streams is served.
     */
    void startLibp2p(Channel channel, ListenerHandshake guardian, long acceptedNanos) {
        guardian.finish();
        channel.pipeline().remove(guardian);
        InetSocketAddress remote = (InetSocketAddress) channel.remoteAddress();
        // One deadline from accept bounds the whole inbound handshake, whichever stack it turns out to be.
        long left = settings.libp2p().handshakeTimeout().toNanos() - (System.nanoTime() - acceptedNanos);
        node.upgrade(channel, false, null, Multiaddr.tcp(remote), java.time.Duration.ofNanos(Math.max(1, left)), dialer -> {
            if (!allowed(dialer)) {
                return new TransportException(TransportException.Kind.IDENTITY_MISMATCH, "dialer " + dialer
                        + " is not on the allow-list");
            }
            if (!reservePeer(dialer, channel)) {
                return new TransportException(TransportException.Kind.LIMIT_EXCEEDED, "dialer " + dialer
                        + " already holds max-inbound-per-peer connections");
            }
            return null;
        }).whenComplete((connection, error) -> {
            if (error != null) {
                TransportException e = error instanceof TransportException t ? t : null;
                handshakeEnded(channel, e == null ? TransportException.Kind.PROTOCOL_VIOLATION : e.kind());
                LOG.debug("libp2p handshake from {} failed: {}", remote, error.getMessage());
                return;
            }
            handshakeEnded(channel, null);
            Libp2pSession session = new Libp2pSession(connection, remote, Instant.now(settings.clock()));
            libp2pSessions.add(session);
            channel.closeFuture().addListener(f -> libp2pSessions.remove(session));
            if (!open.get()) {
                connection.close();
            }
            LOG.debug("libp2p session established: {}", session);
            java.util.function.Consumer<io.guardian.pool.internal.libp2p.Libp2pConnection> sink = inboundSink;
            if (sink != null) {
                sink.accept(connection);
            }
        });
    }

    /**
     * Whether guardian-db/1.0 is answered: only when configured and no allow-list is set, since a
     * 1.0 dialer never proves who it is and so could never be checked against the list.
     */
    boolean plainAllowed() {
        return settings.protocol().acceptPlainHandshake() && settings.protocol().allowedPeers().isEmpty();
    }

    /** Whether the allow-list (if any) admits {@code dialer}. */
    boolean allowed(PeerId dialer) {
        Set<PeerId> allowed = settings.protocol().allowedPeers();
        return allowed.isEmpty() || allowed.contains(dialer);
    }

    /** Takes one of {@code dialer}'s per-peer slots until {@code channel} closes; false at the cap. */
    boolean reservePeer(PeerId dialer, Channel channel) {
        return admission.reservePeer(dialer, channel);
    }

    /** A handshake ended: {@code null} for success, else what failed. Called once per socket. */
    void handshakeEnded(Channel channel, TransportException.Kind failure) {
        admission.handshakeEnded(channel, failure);
    }

    /** The dialer sent nothing within {@code first-byte-timeout}. */
    void firstByteTimedOut(Channel channel) {
        admission.firstByteTimedOut(channel);
    }

    void logRejected(Channel channel, TransportException.Kind kind, String detail, Throwable cause) {
        if (cause != null) {
            LOG.warn("Handshake from {} failed ({}): {}", channel.remoteAddress(), kind, detail, cause);
        } else {
            // Strangers can cause these at will: debug, so they cannot flood the log.
            LOG.debug("Handshake from {} rejected ({}): {}", channel.remoteAddress(), kind, detail);
        }
    }

    /** Swaps the handshake handler for the frame pipeline and registers the session. */
    void established(ChannelHandlerContext ctx, ListenerHandshake handshake, ProtocolVersion version, PeerId dialer) {
        Channel channel = ctx.channel();
        MemoryBudget.Account account = admission.memory().open();
        InboundSession session = new InboundSession(channel, dialer, version, Instant.now(settings.clock()),
                settings.handler(), handlerExecutor, settings.protocol().maxFrameSize(), protocolErrors,
                handlerSpin, settings.protocol().pingAnswersPerSecond(), account);
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.addAfter(ctx.name(), "frames", new FrameDecoder(settings.protocol().maxFrameSize(), account));
        pipeline.addAfter("frames", "session", session);
        pipeline.remove(handshake);
        sessions.add(session);
        channel.closeFuture().addListener(f -> sessions.remove(session));
        if (!open.get()) {
            session.close("listener shutting down");
        }
        LOG.debug("Session established: {} ({})", session, version.wireName());
    }

    /**
     * Stops accepting, sends CLOSE to every session, closes every socket, stops the handler pool
     * it owns and releases the event loops. Idempotent. Waits (up to a few seconds, and never on an
     * event loop) for the listening socket and the connections to close, so that a new listener
     * can bind the same port right after.
     */
    public void close() {
        if (!open.compareAndSet(true, false)) {
            return;
        }
        boolean mayWait = !loops.isEventLoopThread();
        ChannelFuture serverClosed = serverChannel.close();
        for (InboundSession session : sessions) {
            session.close("listener shutting down");
        }
        for (Libp2pSession session : libp2pSessions) {
            session.close();
        }
        List<ChannelFuture> closing = new ArrayList<>();
        for (Channel child : children) {
            closing.add(sessionOf(child) ? child.closeFuture() : child.close());
        }
        if (mayWait) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
            serverClosed.awaitUninterruptibly(CLOSE_WAIT_MILLIS);
            for (ChannelFuture future : closing) {
                long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                if (!future.awaitUninterruptibly(left)) {
                    future.channel().close();
                }
            }
        }
        shutdownExecutor(mayWait);
        verifier.shutdown();
        loops.release();
        LOG.info("Stopped listening as {} on {}", settings.identity().peerId(), boundAddress);
    }

    private boolean sessionOf(Channel channel) {
        return channel.pipeline().get(InboundSession.class) != null;
    }

    private void shutdownExecutor(boolean mayWait) {
        if (ownExecutor == null) {
            return;
        }
        ownExecutor.shutdown();
        if (!mayWait) {
            return;
        }
        try {
            if (!ownExecutor.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.warn("MessageHandler calls still running {} ms after close; interrupting them", CLOSE_WAIT_MILLIS);
                ownExecutor.shutdownNow();
            }
        } catch (InterruptedException e) {
            ownExecutor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
