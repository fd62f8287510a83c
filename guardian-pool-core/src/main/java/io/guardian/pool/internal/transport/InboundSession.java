package io.guardian.pool.internal.transport;

import io.guardian.pool.net.MessageHandler;
import io.guardian.pool.net.PeerSession;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.PeerId;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One established inbound connection of a listener: answers PING on the event loop at once (within
 * its {@link PingAnswerBudget}), and runs the {@link MessageHandler} for each DATA frame on the
 * handler executor, one message at a time and in arrival order per connection (a drain task that
 * is scheduled at most once at a time). Not API.
 *
 * <p>Back-pressure: reading stops while more than {@value #PAUSE_MESSAGES} messages or
 * {@value #PAUSE_BYTES} bytes wait for the handler, or while the dialer does not read our replies
 * (the channel is not writable), so a flooding or non-reading dialer costs bounded memory.
 *
 * <p>Every frame's payload was reserved from the listener's {@link MemoryBudget} by the
 * {@link FrameDecoder} before it was allocated; the session gives it back once the frame is dealt
 * with (a DATA message after its handler ran), and all at once when the connection closes.
 */
final class InboundSession extends ChannelInboundHandlerAdapter implements PeerSession {

    private static final Logger LOG = LoggerFactory.getLogger(InboundSession.class);
    /** A peer chooses its protocol errors: WARN at most every 10 s, the rest at DEBUG. */
    private static final RateLimitedWarning PROTOCOL_ERRORS = new RateLimitedWarning(LOG);
    /** Strangers can fill the memory budget at will: the same rate limit. */
    private static final RateLimitedWarning MEMORY_REFUSALS = new RateLimitedWarning(LOG);
    private static final int PAUSE_MESSAGES = 64;
    private static final long PAUSE_BYTES = 4L << 20;
    /** Messages one drain task handles before yielding the executor thread to other connections. */
    private static final int DRAIN_BATCH = 16;

    private final Channel channel;
    private final PeerId remotePeer;
    private final ProtocolVersion version;
    private final Instant openedAt;
    private final MessageHandler handler;
    private final Executor executor;
    private final int maxFrameSize;
    private final ConcurrentLinkedQueue<byte[]> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queuedMessages = new AtomicInteger();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private final Runnable drain = this::drain;
    private final LongAdder protocolErrors;
    private final HandlerSpin spin;
    /** Written on the event loop only; read by the drain task to avoid needless hops. */
    private volatile boolean backlogged;
    /** Event loop only: a dialer flooding PINGs gets {@code ping-answers-per-second} PONGs, not one each. */
    private final PingAnswerBudget pingAnswers;
    /** This connection's share of the listener's memory budget; closed with the channel. */
    private final MemoryBudget.Account memory;

    InboundSession(Channel channel, PeerId remotePeer, ProtocolVersion version, Instant openedAt,
            MessageHandler handler, Executor executor, int maxFrameSize, LongAdder protocolErrors, HandlerSpin spin,
            int pingAnswersPerSecond, MemoryBudget.Account memory) {
        this.channel = channel;
        this.remotePeer = remotePeer;
        this.version = version;
        this.openedAt = openedAt;
        this.handler = handler;
        this.executor = executor;
        this.maxFrameSize = maxFrameSize;
        this.protocolErrors = protocolErrors;
        this.spin = spin;
        this.pingAnswers = new PingAnswerBudget(pingAnswersPerSecond);
        this.memory = memory;
        channel.closeFuture().addListener(f -> memory.close());
    }

    // ---- PeerSession --------------------------------------------------------------------------

    @Override
    public Optional<PeerId> remotePeer() {
        return Optional.ofNullable(remotePeer);
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) channel.remoteAddress();
    }

    @Override
    public ProtocolVersion protocolVersion() {
        return version;
    }

    @Override
    public Instant openedAt() {
        return openedAt;
    }

    @Override
    public long bytesReceived() {
        return bytesIn.get();
    }

    @Override
    public long bytesSent() {
        return bytesOut.get();
    }

    @Override
    public boolean isOpen() {
        return !closing.get() && channel.isActive();
    }

    @Override
    public void close() {
        close("closed by listener");
    }

    /** Sends CLOSE with {@code reason}, then closes; idempotent. */
    void close(String reason) {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        Frame.closeWithReason(channel, reason, maxFrameSize);
    }

    /** @return the channel, for the engine's bookkeeping */
    Channel channel() {
        return channel;
    }

    @Override
    public String toString() {
        return (remotePeer == null ? "anonymous guardian-db/1.0 dialer" : "dialer " + remotePeer) + " from "
                + channel.remoteAddress();
    }

    // ---- event loop ---------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Frame frame = (Frame) msg;
        if (frame.type() != Frame.DATA) {
            // Dealt with right here: its reservation is not needed past this call.
            memory.release(frame.payload().length);
        }
        switch (frame.type()) {
            case Frame.DATA:
                onData(frame.payload());
                break;
            case Frame.PING:
                if (pingAnswers.tryAnswer()) {
                    ctx.writeAndFlush(Frame.encodePing(ctx.alloc(), Frame.PONG, frame.pingPayload()), ctx.voidPromise());
                } else {
                    LOG.debug("Not answering a PING from {}: over ping-answers-per-second", this);
                }
                break;
            case Frame.PONG:
                // We never ping from the listening side; a stray PONG is harmless (see PingTracker).
                break;
            default:
                LOG.debug("{} sent CLOSE: {}", this, frame.closeReason());
                closing.set(true);
                ctx.close();
                break;
        }
    }

    private void onData(byte[] payload) {
        if (closing.get()) {
            memory.release(payload.length);
            return;
        }
        bytesIn.addAndGet(payload.length);
        inbox.offer(payload);
        int messages = queuedMessages.incrementAndGet();
        long bytes = queuedBytes.addAndGet(payload.length);
        if (messages >= PAUSE_MESSAGES || bytes >= PAUSE_BYTES) {
            backlogged = true;
            updateAutoRead();
        }
        if (draining.compareAndSet(false, true)) {
            try {
                executor.execute(drain);
            } catch (RejectedExecutionException e) {
                draining.set(false);
                LOG.warn("Closing {}: the handler executor refused work ({})", this, e.toString());
                close("listener overloaded");
            }
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        updateAutoRead();
        super.channelWritabilityChanged(ctx);
    }

    private void updateAutoRead() {
        boolean read = !backlogged && channel.isWritable();
        if (channel.config().isAutoRead() != read) {
            channel.config().setAutoRead(read);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof FrameDecoder.FrameViolation) {
            protocolErrors.increment();
            PROTOCOL_ERRORS.log("Closing {}: protocol error: {}", this, cause.getMessage());
        } else if (cause instanceof FrameDecoder.BudgetExceeded) {
            // Counted by the budget itself (ListenerStats.refusedMemory).
            MEMORY_REFUSALS.log("Closing {}: {}", this, cause.getMessage());
        } else if (cause instanceof IOException) {
            LOG.debug("Connection of {} lost: {}", this, cause.toString());
        } else {
            LOG.warn("Closing {} after an unexpected error", this, cause);
        }
        closing.set(true);
        ctx.close();
    }

    // ---- handler executor ---------------------------------------------------------------------

    private void drain() {
        for (int handled = 0; handled < DRAIN_BATCH; handled++) {
            byte[] message = inbox.poll();
            if (message == null) {
                if (!awaitNext()) {
                    break;
                }
                message = inbox.poll();
            }
            afterPoll(message.length);
            boolean goOn;
            try {
                goOn = handle(message);
            } finally {
                memory.release(message.length);
            }
            if (!goOn) {
                return;
            }
        }
        draining.set(false);
        // A message offered after our last poll but before draining=false must not be stranded.
        if (!inbox.isEmpty() && draining.compareAndSet(false, true)) {
            try {
                executor.execute(drain);
            } catch (RejectedExecutionException e) {
                draining.set(false);
                close("listener overloaded");
            }
        }
    }

    /** @return whether a message arrived within the {@link HandlerSpin} budget (the drain task may take it) */
    private boolean awaitNext() {
        return spin.awaitNext(() -> !inbox.isEmpty(), closing::get);
    }

    private boolean handle(byte[] message) {
        if (closing.get()) {
            return true;
        }
        byte[] reply;
        try {
            reply = handler.handle(remotePeer, message);
        } catch (RuntimeException | Error e) {
            LOG.warn("MessageHandler failed on a message from {}; closing the connection so the dialer does not "
                    + "wait for a reply that will never come", this, e);
            close("handler error");
            return false;
        }
        if (reply == null) {
            return true;
        }
        if (reply.length > maxFrameSize) {
            LOG.error("MessageHandler returned {} bytes for {}, more than max-frame-size {}; closing the "
                    + "connection (split the reply or raise max-frame-size on both sides)", reply.length, this,
                    maxFrameSize);
            close("reply exceeds max-frame-size");
            return false;
        }
        bytesOut.addAndGet(reply.length);
        // Not a void promise, as in NettyFramedConnection.send: a reply racing a close fails quietly.
        channel.writeAndFlush(Frame.encode(channel.alloc(), Frame.DATA, reply));
        return true;
    }

    private void afterPoll(int length) {
        int messages = queuedMessages.decrementAndGet();
        long bytes = queuedBytes.addAndGet(-length);
        if (backlogged && messages <= PAUSE_MESSAGES / 2 && bytes <= PAUSE_BYTES / 2) {
            try {
                channel.eventLoop().execute(() -> {
                    if (backlogged && queuedMessages.get() <= PAUSE_MESSAGES / 2
                            && queuedBytes.get() <= PAUSE_BYTES / 2) {
                        backlogged = false;
                        updateAutoRead();
                    }
                });
            } catch (RejectedExecutionException loopGone) {
                // Shutting down: the channel closes with its loop.
            }
        }
    }
}
