package io.guardian.pool.net;

import io.guardian.pool.internal.libp2p.Libp2pSettings;
import io.guardian.pool.internal.libp2p.MessageStreams;
import io.guardian.pool.internal.transport.ListenerEngine;
import io.guardian.pool.internal.transport.ListenerSettings;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * The answering side of the guardian-db protocol (PROTOCOL.md): listens on a TCP address, runs the
 * 1.1 handshake (and 1.0 only when allowed), answers PINGs, and hands every DATA message to a
 * {@link MessageHandler}. Anything that talks to a Guardian pool is one of these.
 *
 * <pre>{@code
 * PeerListener listener = PeerListener.builder(identity)
 *         .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
 *         .handler((from, message) -> message) // echo
 *         .start();
 * Multiaddr dialMe = listener.listenAddress(); // /ip4/127.0.0.1/tcp/41234/p2p/12D3KooW...
 * }</pre>
 *
 * <p>Connections are served by the JVM-wide event loops shared with the pool (no thread per
 * connection), so one listener holds thousands of idle connections. What a stranger can take is
 * bounded: total inbound connections, connections per authenticated dialer, and handshakes in
 * progress are capped, and so are connections and handshakes per remote address
 * ({@link InboundLimits}); beyond a cap the socket is closed at once. Silent, stalled and idle
 * connections are closed after their deadlines. {@link #stats()} counts every refusal.
 *
 * <p>Thread-safe. {@link #close()} releases everything it started; a new listener with the same
 * identity may bind the same port right after.
 */
public final class PeerListener implements AutoCloseable {

    /** Default {@link Builder#maxInboundConnections(int)}. */
    public static final int DEFAULT_MAX_INBOUND_CONNECTIONS = 4096;
    /** Default {@link Builder#maxInboundPerPeer(int)}: well above a pool's usual per-peer limit. */
    public static final int DEFAULT_MAX_INBOUND_PER_PEER = 64;
    /** Default {@link Builder#maxPendingHandshakes(int)}. */
    public static final int DEFAULT_MAX_PENDING_HANDSHAKES = 256;
    /**
     * The libp2p protocol id under which {@link Builder#handler(MessageHandler)} is answered: a
     * libp2p pool's leases use it unless told another.
     */
    public static final String DEFAULT_PROTOCOL = "/guardian-pool/request/1.0.0";

    private final ListenerEngine engine;
    private final PeerId peerId;
    private final Multiaddr listenAddress;

    private PeerListener(ListenerEngine engine, PeerId peerId) {
        this.engine = engine;
        io.guardian.pool.internal.transport.ListenerRegistry.register(this, engine);
        this.peerId = peerId;
        this.listenAddress = Multiaddr.tcp(engine.boundAddress()).withPeerId(peerId);
    }

    /**
     * Starts configuring a listener for {@code identity}.
     *
     * @param identity the key pair whose PeerId dialers will ask for
     * @return a builder with the defaults
     */
    public static Builder builder(PeerIdentity identity) {
        return new Builder(identity);
    }

    /**
     * The address dialers should use: the bound IP and the actual port (also when port 0 was
     * asked for), ending in {@code /p2p/<our PeerId>}.
     *
     * @return the listen address
     */
    public Multiaddr listenAddress() {
        return listenAddress;
    }

    /** @return the PeerId this listener authenticates as */
    public PeerId peerId() {
        return peerId;
    }

    /** @return open inbound connections, including those still in the handshake */
    public int connectionCount() {
        return engine.connectionCount();
    }

    /** @return a snapshot of the established sessions, guardian-db and libp2p */
    public List<PeerSession> sessions() {
        return engine.sessions();
    }

    /** @return the libp2p protocol ids this listener answers, identify and ping included, sorted */
    public List<String> protocols() {
        return engine.protocols();
    }

    /** @return whether the listener has not been closed */
    public boolean isOpen() {
        return engine.isOpen();
    }

    /** @return connections closed on arrival because a cap was reached (for monitoring) */
    public long refusedConnections() {
        return engine.refusedConnections();
    }

    /** @return handshakes that failed or were abandoned (for monitoring) */
    public long failedHandshakes() {
        return engine.failedHandshakes();
    }

    /**
     * Current inbound connections and everything refused or closed, by reason: where to look when
     * honest dialers report failures, or to alert on someone pressing on a limit.
     *
     * @return a snapshot
     */
    public ListenerStats stats() {
        return engine.stats();
    }

    /** @return sessions closed because the dialer broke the frame protocol (for monitoring) */
    public long protocolErrors() {
        return engine.protocolErrors();
    }

    /**
     * Stops listening, sends CLOSE to every session, closes every connection, stops the handler
     * pool if the listener created it, and releases the shared event loops. Idempotent. Waits a
     * few seconds at most (never on a network thread) for sockets and running handlers to finish.
     */
    @Override
    public void close() {
        engine.close();
    }

    @Override
    public String toString() {
        return "PeerListener[" + listenAddress + (isOpen() ? "" : ", closed") + "]";
    }

    /** Configures and starts a {@link PeerListener}. Not thread-safe; use from one thread. */
    public static final class Builder {
        private final PeerIdentity identity;
        private Multiaddr bind;
        private MessageHandler handler;
        private final Map<String, StreamHandler> streamHandlers = new LinkedHashMap<>();
        private ProtocolConfig protocol = ProtocolConfig.defaults();
        private Boolean acceptPlain;
        private Set<PeerId> allowedPeers;
        private int maxInboundConnections = DEFAULT_MAX_INBOUND_CONNECTIONS;
        private int maxInboundPerPeer = DEFAULT_MAX_INBOUND_PER_PEER;
        private int maxPendingHandshakes = DEFAULT_MAX_PENDING_HANDSHAKES;
        private InboundLimits limits = InboundLimits.defaults();
        private Executor handlerExecutor;
        private Clock clock = Clock.systemUTC();
        private SecureRandom random;

        private Builder(PeerIdentity identity) {
            this.identity = Objects.requireNonNull(identity, "identity must not be null");
        }

        /**
         * Where to listen: {@code /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>}, port 0 for any free
         * port. A {@code /p2p/} suffix, if present, must be this identity's PeerId.
         *
         * @param address the local address
         * @return this builder
         */
        public Builder bind(Multiaddr address) {
            this.bind = Objects.requireNonNull(address, "bind address must not be null");
            return this;
        }

        /**
         * The application's handler for request messages: answers guardian-db sessions (every
         * DATA frame) and libp2p streams of {@link PeerListener#DEFAULT_PROTOCOL}. Without it the
         * listener answers libp2p only, and guardian-db dialers are dropped.
         *
         * @param handler called once per message, off the network threads
         * @return this builder
         */
        public Builder handler(MessageHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler must not be null");
            return handler(DEFAULT_PROTOCOL, handler);
        }

        /**
         * Answers a libp2p protocol message by message: each {@code uvarint(length) ‖ message}
         * a dialer writes on a stream of {@code protocol} goes to {@code handler}, and its reply
         * (if not {@code null}) goes back the same way, until the dialer closes its side. A
         * message over the maximum frame size of {@link #protocol(ProtocolConfig)}, a throwing
         * handler, or a stream silent for 120 s resets that stream only. Replaces an earlier
         * handler of the same protocol.
         *
         * @param protocol a protocol id such as {@code /my-app/kv/1.0.0}
         * @param handler called once per message, off the network threads
         * @return this builder
         * @throws IllegalArgumentException for identify, ping or an id multistream cannot carry
         */
        public Builder handler(String protocol, MessageHandler handler) {
            Objects.requireNonNull(handler, "handler must not be null");
            return streamHandler(protocol, new DeferredMessageHandler(handler));
        }

        /**
         * Answers a libp2p protocol with raw access to each stream (several messages each way,
         * streaming, bytes without framing). Replaces an earlier handler of the same protocol.
         *
         * @param protocol a protocol id such as {@code /my-app/echo/1.0.0}
         * @param handler called once per inbound stream, off the network threads
         * @return this builder
         * @throws IllegalArgumentException for identify, ping or an id multistream cannot carry
         */
        public Builder streamHandler(String protocol, StreamHandler handler) {
            Objects.requireNonNull(protocol, "protocol must not be null");
            Objects.requireNonNull(handler, "handler must not be null");
            if ("/ipfs/id/1.0.0".equals(protocol) || "/ipfs/ping/1.0.0".equals(protocol)) {
                throw new IllegalArgumentException(protocol + " is answered by the listener itself; choose another id");
            }
            streamHandlers.put(protocol, handler);
            return this;
        }

        /**
         * Whether to answer the unauthenticated guardian-db/1.0 handshake (default {@code false}).
         * Overrides the same setting of {@link #protocol(ProtocolConfig)}.
         *
         * @param accept {@code true} to admit 1.0 dialers, which prove nothing about who they are
         * @return this builder
         */
        public Builder acceptPlainHandshake(boolean accept) {
            this.acceptPlain = accept;
            return this;
        }

        /**
         * Handshake and framing settings: skew, frame size, handshake timeout. Explicit
         * {@link #acceptPlainHandshake(boolean)} and {@link #allowedPeers(Set)} calls win over it.
         *
         * @param protocol the settings
         * @return this builder
         */
        public Builder protocol(ProtocolConfig protocol) {
            this.protocol = Objects.requireNonNull(protocol, "protocol config must not be null");
            return this;
        }

        /**
         * Only these dialers (authenticated by 1.1) may connect; empty for anyone. 1.0 dialers
         * cannot be checked against the list, so while it is non-empty they are refused even if
         * {@link #acceptPlainHandshake(boolean)} is on.
         *
         * @param peers the allowed dialer PeerIds
         * @return this builder
         */
        public Builder allowedPeers(Set<PeerId> peers) {
            this.allowedPeers = Set.copyOf(Objects.requireNonNull(peers, "allowed peers must not be null"));
            return this;
        }

        /**
         * Cap on open inbound connections, handshaking or established (default
         * {@value PeerListener#DEFAULT_MAX_INBOUND_CONNECTIONS}). Each costs about 3 file descriptors
         * when the dialer is in the same JVM, so keep it below the process's open-file limit.
         *
         * @param max at least 1
         * @return this builder
         */
        public Builder maxInboundConnections(int max) {
            this.maxInboundConnections = max;
            return this;
        }

        /**
         * Cap on established connections per authenticated dialer PeerId (default
         * {@value PeerListener#DEFAULT_MAX_INBOUND_PER_PEER}); 1.0 dialers are anonymous and only
         * {@link #maxInboundConnections(int)} bounds them.
         *
         * @param max at least 1
         * @return this builder
         */
        public Builder maxInboundPerPeer(int max) {
            this.maxInboundPerPeer = max;
            return this;
        }

        /**
         * Cap on connections still in the handshake (default
         * {@value PeerListener#DEFAULT_MAX_PENDING_HANDSHAKES}): bounds the signature work a
         * connection storm can demand.
         *
         * @param max at least 1
         * @return this builder
         */
        public Builder maxPendingHandshakes(int max) {
            this.maxPendingHandshakes = max;
            return this;
        }

        /**
         * Limits per remote address (connections, handshakes in progress), the first-byte and idle
         * timeouts, and the addresses and peers exempt from the caps (default
         * {@link InboundLimits#defaults()}, justified there against go-libp2p and js-libp2p).
         *
         * @param limits the limits
         * @return this builder
         */
        public Builder inboundLimits(InboundLimits limits) {
            this.limits = Objects.requireNonNull(limits, "inbound limits must not be null");
            return this;
        }

        /**
         * Where the handler runs. By default the listener creates a bounded pool (one thread per
         * core, at least two, idle threads retire) and shuts it down on close; an executor given
         * here is the caller's to shut down.
         *
         * <p>{@code Runnable::run} runs the handler on the network thread itself, which saves a
         * thread hand-off per message (about 40 µs per round trip on the reference machine) but is
         * only safe for handlers that never block and finish in microseconds: while it runs, that
         * thread answers no PING and reads no socket.
         *
         * @param executor runs handler calls
         * @return this builder
         */
        public Builder handlerExecutor(Executor executor) {
            this.handlerExecutor = Objects.requireNonNull(executor, "handler executor must not be null");
            return this;
        }

        /**
         * The clock for handshake timestamps and session start times (default: system UTC). For
         * tests and simulations that need fixed or stepped time.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock must not be null");
            return this;
        }

        /**
         * The source of handshake nonces (default: a new {@link SecureRandom}). Only tests should
         * set a predictable one: a repeated nonce lets a recorded handshake be replayed.
         *
         * @param random the nonce source
         * @return this builder
         */
        public Builder secureRandom(SecureRandom random) {
            this.random = Objects.requireNonNull(random, "random must not be null");
            return this;
        }

        /**
         * Validates, binds and starts answering. Blocks until the socket is bound.
         *
         * @return the running listener
         * @throws IllegalArgumentException when a setting is out of range or the address is not a
         *     local TCP address for this identity
         * @throws IllegalStateException when no handler was set
         * @throws java.io.UncheckedIOException when the address cannot be bound (for example in use)
         */
        public PeerListener start() {
            if (bind == null) {
                throw new IllegalStateException("no bind address: call bind(Multiaddr.parse(\"/ip4/127.0.0.1/tcp/0\")) "
                        + "or another local address first");
            }
            if (handler == null && streamHandlers.isEmpty()) {
                throw new IllegalStateException("no handler: call handler((from, message) -> reply) or "
                        + "handler(\"/my-app/proto/1.0.0\", ...) first");
            }
            requireAtLeastOne(maxInboundConnections, "max-inbound-connections");
            requireAtLeastOne(maxInboundPerPeer, "max-inbound-per-peer");
            requireAtLeastOne(maxPendingHandshakes, "max-pending-handshakes");
            PeerId self = identity.peerId();
            Optional<PeerId> suffix = bind.peerId();
            if (suffix.isPresent() && !suffix.get().equals(self)) {
                throw new IllegalArgumentException("bind address " + bind + " names PeerId " + suffix.get()
                        + " but this listener's identity is " + self + "; drop the /p2p/ suffix or fix it");
            }
            ProtocolConfig.Builder merged = protocol.toBuilder();
            if (acceptPlain != null) {
                merged.acceptPlainHandshake(acceptPlain);
            }
            if (allowedPeers != null) {
                merged.allowedPeers(allowedPeers);
            }
            ProtocolConfig protocolConfig = merged.build();
            if (limits.maxBufferedInboundBytes() < 2L * protocolConfig.maxFrameSize()) {
                // Holdings beyond a connection's first 64 KiB may fill only half the budget.
                throw new io.guardian.pool.InvalidSettingException("max-buffered-inbound-bytes",
                        "max-buffered-inbound-bytes " + limits.maxBufferedInboundBytes() + " must be at least twice"
                                + " max-frame-size " + protocolConfig.maxFrameSize() + ", or no frame that large fits");
            }
            Libp2pSettings libp2p = Libp2pSettings.defaults(identity)
                    .withHandshakeTimeout(protocolConfig.handshakeTimeout());
            Map<String, StreamHandler> handlers = new LinkedHashMap<>();
            streamHandlers.forEach((id, h) -> handlers.put(id, h instanceof DeferredMessageHandler m
                    ? MessageStreams.serving(m.handler, protocolConfig.maxFrameSize(), libp2p.streamIdleTimeout())
                    : h));
            ListenerSettings settings = new ListenerSettings(identity, resolve(bind), handler, handlers, libp2p,
                    protocolConfig,
                    maxInboundConnections, maxInboundPerPeer, maxPendingHandshakes, limits, handlerExecutor, clock,
                    random != null ? random : new SecureRandom());
            return new PeerListener(ListenerEngine.start(settings), self);
        }

        /** A message handler waiting for start(), which knows the frame size it reads with. */
        private record DeferredMessageHandler(MessageHandler handler) implements StreamHandler {
            @Override
            public void handle(P2pStream stream) {
                throw new IllegalStateException("adapted in start()");
            }
        }

        private static InetSocketAddress resolve(Multiaddr address) {
            InetSocketAddress socket;
            try {
                socket = address.toSocketAddress();
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("cannot listen on " + address + ": " + e.getMessage()
                        + "; use /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>", e);
            }
            if (!socket.isUnresolved()) {
                return socket;
            }
            String kind = address.components().get(0).protocol();
            try {
                // start() blocks anyway until bound; resolving a local name here is part of that.
                for (InetAddress candidate : InetAddress.getAllByName(socket.getHostString())) {
                    if (("dns4".equals(kind) && !(candidate instanceof Inet4Address))
                            || ("dns6".equals(kind) && !(candidate instanceof Inet6Address))) {
                        continue;
                    }
                    return new InetSocketAddress(candidate, socket.getPort());
                }
                throw new UnknownHostException("no " + ("dns6".equals(kind) ? "IPv6" : "IPv4") + " address");
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("cannot listen on " + address + ": host "
                        + socket.getHostString() + " does not resolve (" + e.getMessage() + ")", e);
            }
        }

        private static void requireAtLeastOne(int value, String setting) {
            if (value < 1) {
                throw new IllegalArgumentException(setting + " must be at least 1, was " + value);
            }
        }
    }
}
