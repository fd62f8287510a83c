package io.guardian.pool.internal.libp2p.yamux;

import static io.guardian.pool.internal.libp2p.yamux.YamuxFrames.FLAG_ACK;
import static io.guardian.pool.internal.libp2p.yamux.YamuxFrames.FLAG_FIN;
import static io.guardian.pool.internal.libp2p.yamux.YamuxFrames.FLAG_RST;
import static io.guardian.pool.internal.libp2p.yamux.YamuxFrames.FLAG_SYN;

import io.guardian.pool.internal.transport.RateLimitedWarning;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.LoggerFactory;

/**
 * One yamux stream. Public methods may be called from any thread: they hop onto the session's
 * event loop, where all state lives. Not API.
 *
 * <p>Lifecycle ({@link State}): an outbound stream is INIT until its first frame carries SYN
 * (SYN_SENT), ESTABLISHED on the remote's ACK; an inbound one is SYN_RECEIVED until our ACK goes
 * out. FIN sent makes it LOCAL_CLOSED, FIN received REMOTE_CLOSED, both CLOSED; RST either way is
 * RESET. The session forgets a stream once it is CLOSED and its listener has seen everything, or
 * once it is RESET.
 */
public final class YamuxStream {

    /** A peer fills the memory budget at will: one WARN per 10 s, the rest at DEBUG. */
    private static final RateLimitedWarning MEMORY_REFUSALS = new RateLimitedWarning(LoggerFactory.getLogger(
            YamuxStream.class));

    /** Where a stream is in its life; for tests and diagnostics. */
    enum State { INIT, SYN_SENT, SYN_RECEIVED, ESTABLISHED, LOCAL_CLOSED, REMOTE_CLOSED, CLOSED, RESET }

    private final YamuxSession session;
    private final int id;
    private final boolean outbound;
    private final AtomicReference<StreamListener> listenerRef = new AtomicReference<>();
    private volatile boolean readClosed;
    private volatile boolean writeClosed;
    private volatile boolean reset;

    // Everything below is confined to the event loop.
    private StreamListener listener;
    private final ArrayDeque<ByteBuf> inbound = new ArrayDeque<>();
    private final SendQueue sendQueue;
    private boolean synPending;
    private boolean ackPending;
    private boolean awaitingAck;
    private boolean finSent;
    private boolean remoteCloseDelivered;
    private boolean rstPending;
    private TransportException resetCause;
    private boolean notifyReset;
    private boolean resetDelivered;
    private long sendWindow = YamuxFrames.INITIAL_WINDOW;
    /** Bytes the remote may still send: what it was granted minus what it sent. */
    private long recvWindow;
    /** Bytes received and not yet {@link #consumed}: buffered here or held by the listener. */
    private long unconsumed;
    /** Received bytes reserved from the session's memory account and not yet consumed or dropped. */
    private long reserved;
    /** Consumed bytes not yet returned to the remote as credit. */
    private long creditPending;
    /** Window above the spec's 256 KiB still to announce with SYN or ACK. */
    private long announcePending;
    /** Whether the stream sits in the session's round-robin of streams with something to send. */
    boolean scheduled;

    YamuxStream(YamuxSession session, int id, boolean outbound, YamuxConfig config) {
        this.session = session;
        this.id = id;
        this.outbound = outbound;
        this.sendQueue = new SendQueue(config.maxBufferedOutbound());
        this.recvWindow = config.receiveWindow();
        this.announcePending = config.receiveWindow() - YamuxFrames.INITIAL_WINDOW;
        this.synPending = outbound;
        // An inbound stream is in the accept backlog from its SYN until its ACK is written.
        this.ackPending = !outbound;
    }

    /** @return the stream id: odd when the client opened it, even when the server did */
    public int id() {
        return id;
    }

    /**
     * Sets the reader, once. Data, FIN or reset that arrived before is delivered to it then, on the
     * event loop. If the loop is gone (the process's event loops shut down between the stream's
     * opening and this call), the reader is told the stream was reset, here, so it releases what it
     * holds rather than waiting for news that cannot come.
     *
     * @param l the listener
     * @throws IllegalStateException if a listener was already set
     */
    public void listener(StreamListener l) {
        Objects.requireNonNull(l, "listener");
        if (!listenerRef.compareAndSet(null, l)) {
            throw new IllegalStateException(this + " already has a listener");
        }
        if (!session.run(() -> {
            listener = l;
            deliverBuffered();
        })) {
            Listeners.call(this, l, null, new TransportException(Kind.CLOSED_LOCALLY, this + ": event loop gone"));
        }
    }

    /**
     * Sends {@code data} (ownership taken) within the send window and queues the rest.
     *
     * @param data bytes to send
     * @return completes when the last byte was written to the channel; fails with LIMIT_EXCEEDED
     *     beyond {@link YamuxConfig#maxBufferedOutbound()}, CLOSED_LOCALLY after
     *     {@link #closeWrite()} or {@link #reset()}, RESET when the remote reset the stream, or the
     *     session's failure. Completes on the event loop: dependent stages must not block there.
     */
    public CompletableFuture<Void> write(ByteBuf data) {
        Objects.requireNonNull(data, "data");
        CompletableFuture<Void> result = new CompletableFuture<>();
        if (!session.run(() -> writeOnLoop(data, result))) {
            data.release();
            result.completeExceptionally(new TransportException(Kind.CLOSED_LOCALLY, this + ": event loop gone"));
        }
        return result;
    }

    /** Half-closes: FIN in its own empty frame once every queued byte is sent. Idempotent. */
    public void closeWrite() {
        session.run(() -> {
            if (!writeClosed && !reset) {
                writeClosed = true;
                session.schedule(this);
            }
        });
    }

    /** Aborts the stream (RST); pending writes fail with CLOSED_LOCALLY. Idempotent. */
    public void reset() {
        session.run(() -> terminate(new TransportException(Kind.CLOSED_LOCALLY, this + " was reset locally"),
                true, false));
    }

    /**
     * Reports that the reader has taken {@code bytes} out; credit goes back to the remote in a
     * WindowUpdate once half the receive window has accumulated. More than was received is capped.
     *
     * @param bytes how many bytes were consumed, not negative
     */
    public void consumed(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("consumed bytes must not be negative, was " + bytes);
        }
        session.run(() -> {
            long n = Math.min(bytes, unconsumed);
            unconsumed -= n;
            long freed = Math.min(n, reserved);
            reserved -= freed;
            session.memory().release(freed);
            if (!readClosed && !reset) {
                creditPending += n;
                if (creditPending >= session.config().receiveWindow() / 2) {
                    session.schedule(this);
                }
            }
        });
    }

    /** @return whether the remote half-closed or the stream was reset */
    public boolean isReadClosed() {
        return readClosed || reset;
    }

    /** @return whether {@link #closeWrite()} was called or the stream was reset */
    public boolean isWriteClosed() {
        return writeClosed || reset;
    }

    /** @return whether the stream was reset by either side or died with its session */
    public boolean isReset() {
        return reset;
    }

    @Override
    public String toString() {
        return "yamux stream " + Integer.toUnsignedLong(id) + (outbound ? " (outbound)" : " (inbound)");
    }

    // ---- event-loop side, called by the session ----

    boolean outbound() {
        return outbound;
    }

    State state() {
        if (reset) {
            return State.RESET;
        }
        if (finSent && readClosed) {
            return State.CLOSED;
        }
        if (finSent) {
            return State.LOCAL_CLOSED;
        }
        if (readClosed) {
            return State.REMOTE_CLOSED;
        }
        if (outbound) {
            return synPending ? State.INIT : awaitingAck ? State.SYN_SENT : State.ESTABLISHED;
        }
        return ackPending ? State.SYN_RECEIVED : State.ESTABLISHED;
    }

    /**
     * Whether the remote accepted this stream: always for an inbound one; for an outbound one,
     * once its ACK (or any frame with ACK) arrived. A reset before that is a refusal.
     *
     * @return {@code true} if accepted
     */
    public boolean acknowledged() {
        return !outbound || (!synPending && !awaitingAck);
    }

    /** Marks an inbound stream accepted: the ACK (with any extra window) is to be sent. */
    void accepted() {
        session.schedule(this);
    }

    boolean ackPending() {
        return ackPending;
    }

    /**
     * Checks a Data header for this stream before its payload is read.
     *
     * @return {@code true} to receive the payload, {@code false} to skip it (the remote already
     *     half-closed: the stream is reset as a stream-level violation)
     * @throws TransportException PROTOCOL_VIOLATION when it overruns the receive window
     */
    boolean admitData(long length) {
        if (length > recvWindow) {
            throw new TransportException(Kind.PROTOCOL_VIOLATION, this + " received " + length
                    + " bytes with only " + recvWindow + " bytes of receive window left");
        }
        if (readClosed && length > 0) {
            terminate(new TransportException(Kind.PROTOCOL_VIOLATION, this + " received data after the remote's FIN"),
                    true, true);
            return false;
        }
        if (!session.memory().reserve(length)) {
            // go-libp2p fails the reservation rather than waiting for memory; the stream goes, the
            // connection and its other streams stay.
            MEMORY_REFUSALS.log("Resetting {}: {}", this, "no room in the inbound memory budget for " + length
                    + " bytes of Data");
            terminate(new TransportException(Kind.LIMIT_EXCEEDED, this + " reset: no room in the inbound memory budget"
                    + " for " + length + " bytes"), true, true);
            return false;
        }
        reserved += length;
        recvWindow -= length;
        return true;
    }

    /** A Data payload that {@link #admitData} accepted; ownership passes here. */
    void onData(ByteBuf payload) {
        if (reset || !payload.isReadable()) {
            payload.release();
            return;
        }
        unconsumed += payload.readableBytes();
        inbound.add(payload);
        deliverBuffered();
    }

    /** Flags of a Data or WindowUpdate frame, after its payload; {@code delta} only for WindowUpdate. */
    void onFlags(int flags, long delta) {
        if (reset) {
            return;
        }
        if ((flags & FLAG_ACK) != 0 && awaitingAck) {
            awaitingAck = false;
        }
        if (delta > 0) {
            if (sendWindow + delta > YamuxFrames.U32_MAX) {
                throw new TransportException(Kind.PROTOCOL_VIOLATION, this + ": WindowUpdate of " + delta
                        + " overflows the send window of " + sendWindow);
            }
            sendWindow += delta;
            if (!sendQueue.isEmpty()) {
                session.schedule(this);
            }
        }
        if ((flags & FLAG_RST) != 0) {
            terminate(new TransportException(Kind.RESET, this + " was reset by the remote"), false, true);
            return;
        }
        if ((flags & FLAG_FIN) != 0 && !readClosed) {
            readClosed = true;
            creditPending = 0;
            deliverBuffered();
        }
    }

    /**
     * Kills the stream: fails writes, drops buffered input, tells the listener (unless this side
     * asked for it) and leaves the session's map.
     */
    void terminate(TransportException cause, boolean sendRst, boolean notify) {
        if (reset) {
            return;
        }
        reset = true;
        boolean acked = ackPending;
        ackPending = false;
        // An outbound stream whose SYN never left is unknown to the remote: nothing to reset.
        rstPending = sendRst && !synPending;
        resetCause = cause;
        notifyReset = notify;
        sendQueue.failAll(cause);
        ByteBuf buf;
        while ((buf = inbound.poll()) != null) {
            buf.release();
        }
        releaseReserved();
        session.streams().remove(this, acked);
        if (rstPending) {
            session.schedule(this);
        }
        deliverBuffered();
    }

    /** @return whether a frame is waiting for the round-robin */
    boolean hasWork() {
        if (rstPending) {
            return true;
        }
        if (reset) {
            return false;
        }
        return (!sendQueue.isEmpty() && sendWindow > 0) || ackPending || (synPending && announcePending > 0)
                || creditPending >= session.config().receiveWindow() / 2
                || (writeClosed && !finSent && sendQueue.isEmpty());
    }

    /** Writes at most one frame (not flushed). @return whether more is waiting */
    boolean writeOne(ChannelHandlerContext ctx) {
        if (rstPending) {
            rstPending = false;
            ctx.write(YamuxFrames.header(ctx.alloc(), YamuxFrames.TYPE_WINDOW_UPDATE, FLAG_RST, id, 0),
                    ctx.voidPromise());
            return false;
        }
        if (reset) {
            return false;
        }
        int flags = openingFlags();
        if (!sendQueue.isEmpty() && sendWindow > 0) {
            int n = (int) Math.min(Math.min(sendWindow, session.config().maxFrameData()), sendQueue.headBytes());
            ByteBuf slice = sendQueue.take(n);
            CompletableFuture<Void> done = sendQueue.lastTaken();
            sendWindow -= n;
            sentOpening(flags);
            ByteBuf frame = YamuxFrames.data(ctx.alloc(), flags, id, slice);
            if (done == null) {
                ctx.write(frame, ctx.voidPromise());
            } else {
                ChannelFuture written = ctx.write(frame);
                SendQueue.completeWhenWritten(written, done);
            }
            return hasWork();
        }
        long delta = announcePending;
        announcePending = 0;
        if (creditPending > 0) {
            delta += creditPending;
            recvWindow += creditPending;
            creditPending = 0;
        }
        if (writeClosed && !finSent && sendQueue.isEmpty()) {
            flags |= FLAG_FIN;
            finSent = true;
        }
        if (flags != 0 || delta > 0) {
            sentOpening(flags);
            ctx.write(YamuxFrames.header(ctx.alloc(), YamuxFrames.TYPE_WINDOW_UPDATE, flags, id, delta),
                    ctx.voidPromise());
        }
        if (finSent) {
            maybeFinished();
        }
        return hasWork();
    }

    private int openingFlags() {
        return synPending ? FLAG_SYN : ackPending ? FLAG_ACK : 0;
    }

    private void sentOpening(int flags) {
        if ((flags & FLAG_SYN) != 0) {
            synPending = false;
            awaitingAck = true;
        }
        if ((flags & FLAG_ACK) != 0) {
            ackPending = false;
            session.streams().ackSent();
        }
    }

    /** Fails writes and releases input because the whole session ended. */
    void sessionDied(TransportException cause) {
        terminate(cause, false, true);
    }

    private void writeOnLoop(ByteBuf data, CompletableFuture<Void> result) {
        if (reset || writeClosed) {
            data.release();
            result.completeExceptionally(reset ? new TransportException(resetCause.kind(), resetCause.getMessage())
                    : new TransportException(Kind.CLOSED_LOCALLY, this + " is closed for writing"));
            return;
        }
        sendQueue.add(data, result, toString());
        if (sendWindow > 0 && !sendQueue.isEmpty()) {
            session.schedule(this);
        }
    }

    private void deliverBuffered() {
        StreamListener l = listener;
        if (l == null) {
            return;
        }
        ByteBuf buf;
        while (!reset && (buf = inbound.poll()) != null) {
            Listeners.call(this, l, buf, null);
        }
        if (reset) {
            if (notifyReset && !resetDelivered) {
                resetDelivered = true;
                Listeners.call(this, l, null, resetCause);
            }
            return;
        }
        if (readClosed && !remoteCloseDelivered) {
            remoteCloseDelivered = true;
            Listeners.call(this, l, null, null);
        }
        maybeFinished();
    }

    private void maybeFinished() {
        if (finSent && readClosed && remoteCloseDelivered && inbound.isEmpty() && !reset) {
            releaseReserved();
            session.streams().remove(this, false);
        }
    }

    /** The stream leaves the session: what it still holds is not counted against the budget any more. */
    private void releaseReserved() {
        session.memory().release(reserved);
        reserved = 0;
    }
}
