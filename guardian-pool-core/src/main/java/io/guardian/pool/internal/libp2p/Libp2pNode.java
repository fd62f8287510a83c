package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.libp2p.noise.NoiseHandshakeHandler;
import io.guardian.pool.internal.libp2p.noise.NoiseSecured;
import io.guardian.pool.internal.libp2p.yamux.YamuxSession;
import io.guardian.pool.internal.transport.HandlerSpin;
import io.guardian.pool.internal.transport.MemoryBudget;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.net.StreamHandler;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One local libp2p identity with its protocols: upgrades TCP channels in either role
 * (multistream-select {@code /noise}, Noise XX, yamux, inline or by a second multistream round)
 * and serves inbound streams. Shared by the dialer and the listener of one identity. Not API.
 *
 * <p>Protocols: identify and ping are built in and answered on the event loop; the application's
 * protocols are {@link StreamHandler}s run on the handler executor, so a slow handler never stalls
 * a connection's other streams or its pings.
 */
public final class Libp2pNode {

    private static final Logger LOG = LoggerFactory.getLogger(Libp2pNode.class);
    /** The one muxer we speak. */
    public static final String YAMUX = "/yamux/1.0.0";
    /** The one security protocol we speak. */
    public static final String NOISE = "/noise";

    private final Libp2pSettings settings;
    private final Map<String, StreamHandler> handlers = new ConcurrentHashMap<>();
    private final Executor handlerExecutor;
    private final Executor crypto;
    private volatile Supplier<List<Multiaddr>> listenAddrs = List::of;
    /** Muxers offered inside Noise; empty makes both sides agree on one by multistream afterwards. */
    private volatile List<String> inlineMuxers = List.of(YAMUX);
    /** Another node whose protocols and listen addresses this one answers with (a pool sharing a listener's identity). */
    private volatile Libp2pNode server;
    /** Where the connections of this node reserve the Data they buffer; unlimited unless a listener set one. */
    private volatile MemoryBudget inboundMemory = MemoryBudget.UNLIMITED;
    /** How long a message handler's thread polls for its stream's next message; none unless a listener set it. */
    private volatile HandlerSpin handlerSpin = HandlerSpin.OFF;

    /**
     * @param settings timeouts, limits and our identity
     * @param handlerExecutor runs application stream handlers (never a network thread)
     * @param crypto runs Noise's public-key work (DH, signatures) off the event loop
     */
    public Libp2pNode(Libp2pSettings settings, Executor handlerExecutor, Executor crypto) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.handlerExecutor = Objects.requireNonNull(handlerExecutor, "handlerExecutor");
        this.crypto = Objects.requireNonNull(crypto, "crypto");
    }

    /** @return the settings */
    public Libp2pSettings settings() {
        return settings;
    }

    /**
     * Sets the budget the yamux sessions of connections made from now on reserve received Data
     * from (a listener's {@code max-buffered-inbound-bytes}).
     *
     * @param budget the budget
     */
    public void inboundMemory(MemoryBudget budget) {
        this.inboundMemory = Objects.requireNonNull(budget, "budget");
    }

    /**
     * Sets how long the thread of a {@link MessageStreams} handler polls for its stream's next
     * message after answering (a listener's own handler pool; see {@link HandlerSpin}).
     *
     * @param spin the polling budget
     */
    public void handlerSpin(HandlerSpin spin) {
        this.handlerSpin = Objects.requireNonNull(spin, "spin");
    }

    /** @return the budget received Data is reserved from */
    MemoryBudget inboundMemory() {
        return inboundMemory;
    }

    /**
     * Registers the handler of a protocol, replacing any earlier one.
     *
     * @param protocol a protocol id such as {@code /my-app/echo/1.0.0}
     * @param handler serves each inbound stream of it
     * @throws IllegalArgumentException for the built-in protocols or an id that is not valid in multistream
     */
    public void handle(String protocol, StreamHandler handler) {
        if (IdentifyInfo.PROTOCOL.equals(protocol) || PingProtocol.PROTOCOL.equals(protocol)) {
            throw new IllegalArgumentException(protocol + " is answered by the library itself; choose another id");
        }
        if (protocol.isEmpty() || protocol.indexOf('\n') >= 0 || Multistream.encodedLength(protocol) > Multistream.MAX_MESSAGE
                || Multistream.NA.equals(protocol) || Multistream.HEADER.equals(protocol) || "ls".equals(protocol)) {
            throw new IllegalArgumentException("\"" + protocol + "\" is not a usable protocol id: use a short path "
                    + "such as /my-app/echo/1.0.0");
        }
        handlers.put(protocol, Objects.requireNonNull(handler, "handler"));
    }

    /**
     * Whether to offer yamux inside the Noise handshake (the default, saving a round trip) or to
     * leave the muxer to a multistream round inside the secure channel, as older nodes do. Both
     * paths exist in the wild; tests use this to take the second.
     *
     * @param inline {@code false} to send no muxer list in Noise
     */
    void offerMuxerInline(boolean inline) {
        this.inlineMuxers = inline ? List.of(YAMUX) : List.of();
    }

    /** @param supplier where identify learns our listen addresses */
    public void listenAddrs(Supplier<List<Multiaddr>> supplier) {
        this.listenAddrs = Objects.requireNonNull(supplier, "supplier");
    }

    /**
     * Makes this node answer as {@code other} does: its protocols (inbound streams on this node's
     * connections go to its handlers) and its listen addresses in identify. For a pool dialing with
     * the identity a listener answers with, so a peer sees one node either way.
     *
     * @param other the node to answer as, or {@code null} to stop
     */
    public void serveAs(Libp2pNode other) {
        if (other == this) {
            throw new IllegalArgumentException("a node cannot serve as itself");
        }
        this.server = other;
    }

    /** @return every protocol we answer, built-ins included, sorted */
    public List<String> protocols() {
        Libp2pNode s = server;
        if (s != null) {
            return s.protocols();
        }
        List<String> all = new ArrayList<>(handlers.keySet());
        all.add(IdentifyInfo.PROTOCOL);
        all.add(PingProtocol.PROTOCOL);
        Collections.sort(all);
        return all;
    }

    boolean supports(String protocol) {
        Libp2pNode s = server;
        if (s != null) {
            return s.supports(protocol);
        }
        return handlers.containsKey(protocol) || IdentifyInfo.PROTOCOL.equals(protocol)
                || PingProtocol.PROTOCOL.equals(protocol);
    }

    /** @return what identify tells {@code connection}'s remote about us */
    IdentifyInfo identifyFor(Libp2pConnection connection) {
        Libp2pNode s = server;
        Supplier<List<Multiaddr>> addrs = s != null ? s.listenAddrs : listenAddrs;
        return new IdentifyInfo(settings.identity().publicKeyProtobuf(), addrs.get(), protocols(),
                connection.remoteAddress().withoutPeerId(), Libp2pSettings.PROTOCOL_VERSION, settings.agentVersion());
    }

    /**
     * Upgrades a connected TCP channel: the pipeline must be empty of upgrade stages. Completes on
     * the event loop, within {@code timeout} (the channel is closed on failure or timeout).
     *
     * @param channel the channel, active or about to be
     * @param initiator whether we dialed
     * @param expected the PeerId we dialed, or {@code null} when answering
     * @param remoteAddress the remote's address, for identify's observed address and for messages
     * @param timeout bound on the whole upgrade
     * @param admission asked once Noise has proven the remote's PeerId and before any stream can
     *     open: {@code null} admits, an exception refuses (the channel is closed)
     * @return the connection, identified or not yet (see {@link Libp2pConnection#identify()})
     */
    public CompletableFuture<Libp2pConnection> upgrade(Channel channel, boolean initiator, PeerId expected,
            Multiaddr remoteAddress, java.time.Duration timeout,
            java.util.function.Function<PeerId, TransportException> admission) {
        CompletableFuture<Libp2pConnection> result = new CompletableFuture<>();
        long started = System.nanoTime();
        String who = (expected != null ? expected + " at " : "") + remoteAddress;
        ScheduledFuture<?> timer = channel.eventLoop().schedule(() -> {
            // Answering, the deadline is handshake-timeout: a stalled handshake. Dialing, it is what was left
            // of the dial's own deadline (connect plus upgrade), so running out of it is a dial timeout
            // whether TCP had connected or not, as on guardian-db (DialTimeoutException's contract).
            TransportException late = !channel.isActive()
                    ? new TransportException(Kind.TIMED_OUT, "TCP connect to " + who + " did not complete within "
                            + timeout.toMillis() + " ms")
                    : initiator
                    ? new TransportException(Kind.TIMED_OUT, "dial of " + who + ": connected, but the libp2p "
                            + "handshake did not complete within the " + timeout.toMillis() + " ms left of the dial")
                    : new TransportException(Kind.HANDSHAKE_TIMED_OUT, "libp2p handshake with " + who
                            + " did not complete within " + timeout.toMillis() + " ms");
            if (result.completeExceptionally(late)) {
                channel.close();
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        result.whenComplete((c, e) -> timer.cancel(false));
        channel.closeFuture().addListener(f -> result.completeExceptionally(new TransportException(Kind.CLOSED_BY_PEER,
                "connection to " + who + " closed during the libp2p handshake")));

        CompletableFuture<Void> secure = new CompletableFuture<>();
        CompletableFuture<NoiseSecured> secured = new CompletableFuture<>();
        channel.pipeline().addLast(Hold.NAME, new Hold());
        channel.pipeline().addBefore(Hold.NAME, "libp2p-select", new ConnectionSelect(initiator, NOISE, secure));
        secure.whenComplete((ok, error) -> {
            if (error != null) {
                fail(result, channel, error);
                return;
            }
            channel.pipeline().addBefore(Hold.NAME, "noise", new NoiseHandshakeHandler(initiator, settings.identity(),
                    expected, inlineMuxers, crypto, secured));
        });
        secured.whenComplete((noise, error) -> {
            if (error != null) {
                fail(result, channel, error);
                return;
            }
            TransportException refused = admission.apply(noise.remotePeer());
            if (refused != null) {
                fail(result, channel, refused);
                return;
            }
            ChannelHandlerContext hold = channel.pipeline().context(Hold.NAME);
            if (hold == null) {
                fail(result, channel, new TransportException(Kind.CLOSED_LOCALLY, "connection to " + who + " closed"));
                return;
            }
            if (YAMUX.equals(noise.muxer())) {
                muxed(channel, hold, initiator, noise, remoteAddress, started, result);
                return;
            }
            // No muxer agreed inside Noise: a second multistream round, inside the secure channel.
            CompletableFuture<Void> muxer = new CompletableFuture<>();
            ((Hold) hold.handler()).release(hold, "libp2p-muxer-select", new ConnectionSelect(initiator, YAMUX, muxer));
            muxer.whenComplete((ok, muxError) -> {
                if (muxError != null) {
                    fail(result, channel, muxError);
                    return;
                }
                Libp2pConnection connection = new Libp2pConnection(this, channel, initiator, noise.remotePeer(),
                        remoteAddress, System.nanoTime() - started, noise.rttNanos());
                channel.pipeline().addLast("yamux", connection.session());
                connection.start(result);
            });
        });
        return result;
    }

    private void muxed(Channel channel, ChannelHandlerContext hold, boolean initiator, NoiseSecured noise,
            Multiaddr remoteAddress, long started, CompletableFuture<Libp2pConnection> result) {
        Libp2pConnection connection = new Libp2pConnection(this, channel, initiator, noise.remotePeer(), remoteAddress,
                System.nanoTime() - started, noise.rttNanos());
        YamuxSession session = connection.session();
        ((Hold) hold.handler()).release(hold, "yamux", session);
        connection.start(result);
    }

    private static void fail(CompletableFuture<Libp2pConnection> result, Channel channel, Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        TransportException typed = cause instanceof TransportException t ? t
                : new TransportException(Kind.PROTOCOL_VIOLATION, "libp2p handshake failed: " + cause, cause);
        if (result.completeExceptionally(typed)) {
            LOG.debug("libp2p upgrade of {} failed: {}", channel.remoteAddress(), typed.getMessage());
        }
        channel.close();
    }

    /** Runs an application handler for {@code stream} off the network threads. */
    void dispatch(StreamChannel stream, String protocol) {
        Libp2pNode s = server;
        if (s != null) {
            s.dispatch(stream, protocol);
            return;
        }
        StreamHandler handler = handlers.get(protocol);
        if (handler == null) {
            stream.reset();
            return;
        }
        if (handler instanceof MessageStreams.Served served) {
            served.start(stream, handlerExecutor, handlerSpin); // no thread waits on the stream
            return;
        }
        try {
            handlerExecutor.execute(() -> {
                try {
                    handler.handle(stream);
                    stream.close();
                } catch (Exception | Error e) {
                    LOG.debug("Handler of {} failed on {}; resetting the stream", protocol, stream, e);
                    stream.reset();
                    if (e instanceof Error error && !(e instanceof AssertionError)) {
                        throw error;
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("Handler executor refused a stream of {}; resetting it", protocol);
            stream.reset();
        }
    }
}
