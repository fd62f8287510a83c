package io.guardian.pool.internal.libp2p.yamux;

import io.guardian.pool.internal.transport.MemoryBudget;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A yamux 1.0.0 session (hashicorp/yamux {@code spec.md}, libp2p/specs {@code yamux/README.md}) as
 * a Netty handler above the Noise codec: it reads plaintext {@link ByteBuf}s of any split and writes
 * plaintext frames. All state lives on the channel's event loop; public methods called from other
 * threads hop onto it. Not API.
 *
 * <p>Writability: Data, ACKs, credit and FIN of streams go out round-robin (one frame per stream
 * per turn, so no stream starves the others) and only while the channel is writable. Control frames
 * the peer provokes (Ping ACKs, RSTs of refused streams) are written at once; when
 * {@link YamuxConfig#maxUnwritableControlFrames()} of them pile up while the channel is not
 * writable, the session stops reading (autoRead off, decoding paused) until it is writable again,
 * so a peer that floods Pings and never reads cannot grow our heap. Reading is not stopped merely
 * because the channel is unwritable: two sessions that both did that while sending to each other
 * would each wait for the other to read, forever. If the channel stays unwritable longer than
 * {@link YamuxConfig#writeTimeout()} the session fails with TIMED_OUT.
 */
public final class YamuxSession extends ChannelDuplexHandler {

    private static final Logger LOG = LoggerFactory.getLogger(YamuxSession.class);

    /** Decides on inbound streams; called on the event loop; {@code false} resets the stream. */
    public interface InboundStreams {
        /**
         * @param stream the new stream (set its listener now to see the SYN frame's data)
         * @return whether to accept it
         */
        boolean accept(YamuxStream stream);
    }

    private final boolean client;
    private final YamuxConfig config;
    /** This connection's share of its listener's buffered-bytes budget (unlimited elsewhere). */
    private final MemoryBudget.Account memory;
    private final InboundStreams acceptor;
    private final AtomicLong nextId;
    private volatile ChannelHandlerContext ctx;
    private volatile TransportException failure;
    private volatile boolean goAwayReceived;
    private volatile boolean goAwaySent;

    // Confined to the event loop.
    private final StreamTable streams = new StreamTable();
    private final YamuxPings pings;
    private YamuxDecoder decoder;
    private Outbound outbound;
    private int depth;

    /**
     * @param client whether this side dialed (odd stream ids) rather than listened (even ids)
     * @param config limits and windows
     * @param acceptor decides on streams the remote opens
     */
    public YamuxSession(boolean client, YamuxConfig config, InboundStreams acceptor) {
        this(client, config, acceptor, MemoryBudget.UNLIMITED.open());
    }

    /**
     * @param client whether this side dialed (odd stream ids) rather than listened (even ids)
     * @param config limits and windows
     * @param acceptor decides on streams the remote opens
     * @param memory where received Data is reserved before it is buffered; closed with the session
     */
    public YamuxSession(boolean client, YamuxConfig config, InboundStreams acceptor, MemoryBudget.Account memory) {
        this.memory = Objects.requireNonNull(memory, "memory");
        this.client = client;
        this.config = Objects.requireNonNull(config, "config");
        this.acceptor = Objects.requireNonNull(acceptor, "acceptor");
        this.nextId = new AtomicLong(client ? 1 : 2);
        this.pings = new YamuxPings(config.maxOutstandingPings());
    }

    /**
     * Opens a stream at once, from any thread; its SYN rides on its first frame (Data, or a
     * WindowUpdate announcing a larger window, or FIN).
     *
     * @return the stream, with an odd id on the client and an even one on the server
     * @throws TransportException LIMIT_EXCEEDED past {@link YamuxConfig#maxStreams()} or when ids run
     *     out, CLOSED_BY_PEER after a GoAway was received, CLOSED_LOCALLY after {@link #goAway} or
     *     {@link #close()}, or the kind the session failed with
     */
    public YamuxStream openStream() {
        ChannelHandlerContext c = context();
        TransportException dead = failure;
        if (dead != null) {
            throw new TransportException(dead.kind(), "yamux session is closed: " + dead.getMessage());
        }
        if (goAwayReceived) {
            throw new TransportException(Kind.CLOSED_BY_PEER, "the remote sent GoAway: no new streams on " + c.channel());
        }
        if (goAwaySent) {
            throw new TransportException(Kind.CLOSED_LOCALLY, "this side sent GoAway: no new streams on " + c.channel());
        }
        if (!streams.reserveOutbound(config.maxStreams())) {
            throw new TransportException(Kind.LIMIT_EXCEEDED, config.maxStreams()
                    + " outbound streams already open (maxStreams) on " + c.channel() + "; close some first");
        }
        long id = nextId.getAndAdd(2);
        if (id > YamuxFrames.U32_MAX) {
            streams.releaseOutbound();
            throw new TransportException(Kind.LIMIT_EXCEEDED, "stream ids exhausted on " + c.channel()
                    + "; open a new connection");
        }
        YamuxStream stream = new YamuxStream(this, (int) id, true, config);
        if (!run(() -> register(stream))) {
            streams.releaseOutbound();
            throw new TransportException(Kind.CLOSED_LOCALLY, "event loop of " + c.channel() + " is gone");
        }
        return stream;
    }

    /**
     * Sends a Ping SYN with a fresh opaque value, from any thread.
     *
     * @param timeout how long to wait for the ACK
     * @return the round-trip time in nanoseconds; fails TIMED_OUT, LIMIT_EXCEEDED past
     *     {@link YamuxConfig#maxOutstandingPings()}, or with the session's failure. Completes on the
     *     event loop.
     */
    public CompletableFuture<Long> ping(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        CompletableFuture<Long> result = new CompletableFuture<>();
        ChannelHandlerContext c = context();
        if (!run(() -> {
            if (failure != null) {
                result.completeExceptionally(new TransportException(failure.kind(), "cannot ping: session closed"));
                return;
            }
            pings.start(c.executor(), result, timeout, opaque -> writeControl(YamuxFrames.header(c.alloc(),
                    YamuxFrames.TYPE_PING, YamuxFrames.FLAG_SYN, 0, opaque), false));
        })) {
            result.completeExceptionally(new TransportException(Kind.CLOSED_LOCALLY, "event loop gone"));
        }
        return result;
    }

    /**
     * Sends GoAway with {@code code}: no new streams either way from now on; existing ones finish.
     *
     * @param code 0 normal, 1 protocol error, 2 internal error
     */
    public void goAway(int code) {
        run(() -> sendGoAway(code));
    }

    /** Sends GoAway(0) (best effort, not awaited) and closes the channel; streams get CLOSED_LOCALLY. */
    public void close() {
        run(() -> {
            if (failure != null) {
                return;
            }
            sendGoAway(YamuxFrames.GO_AWAY_NORMAL);
            ctx.flush();
            teardown(new TransportException(Kind.CLOSED_LOCALLY, "yamux session closed locally"));
            ctx.close();
        });
    }

    /** @return whether the session still works (not failed or closed, channel active) */
    public boolean isOpen() {
        ChannelHandlerContext c = ctx;
        return failure == null && c != null && c.channel().isActive();
    }

    /** @return live streams, both directions (as last updated on the event loop) */
    public int streamCount() {
        return streams.size();
    }

    /** @return whether the remote sent GoAway */
    public boolean goAwayReceived() {
        return goAwayReceived;
    }

    /** @return what ended the session, or {@code null} while it works */
    public TransportException failure() {
        return failure;
    }

    // ---- Netty callbacks ----

    /** Binds to the pipeline. */
    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        this.decoder = new YamuxDecoder(context.alloc(), new InboundFrames(this), config.receiveWindow());
        this.outbound = new Outbound(context, config, this::writeTimedOut);
    }

    /** Releases everything if removed while running. */
    @Override
    public void handlerRemoved(ChannelHandlerContext context) {
        teardown(new TransportException(Kind.CLOSED_LOCALLY, "yamux handler removed from the pipeline"));
    }

    /** Decodes plaintext from the codec below; not passed on. */
    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            context.fireChannelRead(msg);
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        if (failure != null) {
            in.release();
            return;
        }
        enter();
        try {
            decoder.decode(in);
        } catch (TransportException e) {
            protocolError(e);
        } finally {
            exit();
        }
    }

    /** Resumes sending (and reading, if paused) when writable; arms the write deadline when not. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext context) {
        enter();
        try {
            if (failure == null && outbound.writabilityChanged(context.channel().isWritable())) {
                decoder.resume();
            }
        } catch (TransportException e) {
            protocolError(e);
        } finally {
            exit();
        }
        context.fireChannelWritabilityChanged();
    }

    /** Every stream gets onReset(CLOSED_BY_PEER) unless the session already ended. */
    @Override
    public void channelInactive(ChannelHandlerContext context) {
        teardown(new TransportException(Kind.CLOSED_BY_PEER, "connection closed: " + context.channel()));
        context.fireChannelInactive();
    }

    /** Ends the session with the exception's kind; never passed on to the pipeline's tail. */
    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        TransportException typed = cause instanceof TransportException ? (TransportException) cause
                : new TransportException(Kind.CLOSED_BY_PEER, "connection failed: " + cause, cause);
        LOG.debug("yamux session on {} ends: {}", context.channel(), typed.toString());
        teardown(typed);
        context.close();
    }

    // ---- event-loop internals used by streams and the inbound side ----

    MemoryBudget.Account memory() {
        return memory;
    }

    YamuxConfig config() {
        return config;
    }

    boolean client() {
        return client;
    }

    io.netty.buffer.ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    /** @return whether this side sent GoAway */
    public boolean goAwaySent() {
        return goAwaySent;
    }

    boolean readPaused() {
        return failure != null || outbound.readPaused();
    }

    /** Runs {@code task} on the event loop (now, if already there), then sends what it queued. */
    boolean run(Runnable task) {
        EventExecutor loop = context().executor();
        Runnable wrapped = () -> {
            enter();
            try {
                task.run();
            } finally {
                exit();
            }
        };
        if (loop.inEventLoop()) {
            wrapped.run();
            return true;
        }
        try {
            loop.execute(wrapped);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    StreamTable streams() {
        return streams;
    }

    InboundStreams acceptor() {
        return acceptor;
    }

    YamuxPings pings() {
        return pings;
    }

    void remoteGoAway(long code) {
        goAwayReceived = true;
        LOG.debug("yamux peer on {} sent GoAway code {}", ctx.channel(), code);
    }

    /** Puts a stream with something to send into the round-robin. */
    void schedule(YamuxStream stream) {
        outbound.schedule(stream);
    }

    /** Writes a session-level frame at once (see {@link Outbound#writeControl}). */
    void writeControl(ByteBuf frame, boolean peerTriggered) {
        if (failure != null) {
            frame.release();
            return;
        }
        outbound.writeControl(frame, peerTriggered);
    }

    /** Sends GoAway(1), fails every stream with the violation and closes the channel. */
    void protocolError(TransportException e) {
        if (failure != null) {
            return;
        }
        LOG.debug("yamux peer on {} broke the protocol: {}", ctx.channel(), e.getMessage());
        ctx.write(YamuxFrames.header(ctx.alloc(), YamuxFrames.TYPE_GO_AWAY, 0, 0, YamuxFrames.GO_AWAY_PROTOCOL_ERROR),
                ctx.voidPromise());
        ctx.flush();
        teardown(e);
        ctx.close();
    }

    private void register(YamuxStream stream) {
        if (failure != null) {
            streams.releaseOutbound();
            stream.sessionDied(failure);
            return;
        }
        streams.add(stream);
        if (stream.hasWork()) {
            schedule(stream);
        }
    }

    private void sendGoAway(int code) {
        if (failure != null || goAwaySent) {
            return;
        }
        goAwaySent = true;
        writeControl(YamuxFrames.header(ctx.alloc(), YamuxFrames.TYPE_GO_AWAY, 0, 0, code & YamuxFrames.U32_MAX),
                false);
    }

    private void writeTimedOut() {
        if (failure == null) {
            enter();
            try {
                teardown(new TransportException(Kind.TIMED_OUT, "the remote on " + ctx.channel()
                        + " took nothing for " + config.writeTimeout().toMillis() + " ms (writeTimeout)"));
                ctx.close();
            } finally {
                exit();
            }
        }
    }

    private void teardown(TransportException cause) {
        if (failure != null) {
            return;
        }
        failure = cause;
        for (YamuxStream stream : streams.snapshot()) {
            stream.sessionDied(cause);
        }
        if (outbound != null) {
            outbound.clear();
        }
        pings.failAll(cause);
        if (decoder != null) {
            decoder.release();
        }
        memory.close();
    }

    private ChannelHandlerContext context() {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            throw new IllegalStateException("yamux session is not in a channel pipeline yet");
        }
        return c;
    }

    private void enter() {
        depth++;
    }

    /** Leaving the outermost entry point sends what was queued: one flush per batch of work. */
    private void exit() {
        if (--depth > 0 || outbound == null) {
            return;
        }
        if (failure == null) {
            outbound.drainAndFlush();
        } else {
            outbound.flush();
        }
    }
}
