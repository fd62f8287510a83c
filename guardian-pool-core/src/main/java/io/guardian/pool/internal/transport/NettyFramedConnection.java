package io.guardian.pool.internal.transport;

import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dialer's framed connection: the last handler of the pipeline and the {@link FramedConnection}
 * the pool leases out. Not API.
 *
 * <p>Data path. {@link #send} encodes the DATA frame on the caller's thread and writes and flushes
 * it in one call (Netty hands the write to the event loop, waking it only if it sleeps). Inbound
 * DATA is handed to the caller through a {@link Mailbox}: the caller spins briefly, then parks, and
 * the event loop unparks only a parked caller. PING is answered with PONG right here on the event
 * loop whatever the caller is doing, within the connection's {@link PingAnswerBudget} (beyond it
 * a PING is dropped unanswered); PONG completes {@link #ping}; CLOSE records the peer's reason and
 * closes.
 *
 * <p>Back-pressure: when the caller does not drain DATA (more than {@value #PAUSE_MESSAGES}
 * messages or {@value #PAUSE_BYTES} bytes queued), the channel stops reading until the queue drops
 * below half of both, so a peer cannot grow our heap without bound. PINGs wait in the socket
 * meanwhile; an undrained connection looks slow to the health check, which is the truth.
 *
 * <p>Outbound, the same bound the other way: when the peer stops taking our bytes, Netty's
 * outbound buffer passes its high-water mark and the channel turns unwritable; {@link #send} then
 * waits (on a monitor signalled by writability changes and by close) until it drains, for at most
 * {@code guardian.transport.writeStallMillis} (default {@value #DEFAULT_WRITE_STALL_MILLIS} ms),
 * after which the connection is closed as gone. And reading stops while the channel is not
 * writable, as on the listener side: a peer that makes us answer (PINGs) but never reads the
 * answers would otherwise grow our outbound buffer without bound. So a peer that never reads
 * cannot grow our heap by more than one frame beyond the high-water mark.
 *
 * <p>Failures are {@link TransportException}s whose message names the peer and the address: a
 * receive with nothing in time is {@link Kind#TIMED_OUT} (the connection stays open); a closed
 * connection carries the kind of what closed it ({@link Kind#CLOSED_BY_PEER} for a CLOSE frame or a
 * lost socket, {@link Kind#PROTOCOL_VIOLATION} for a broken frame, {@link Kind#CLOSED_LOCALLY} for
 * our own close); a peer that stops reading fails the send with {@link Kind#LIMIT_EXCEEDED}; an
 * interrupted wait is {@link Kind#CLOSED_LOCALLY} with the thread's interrupt flag set again.
 */
final class NettyFramedConnection extends ChannelInboundHandlerAdapter implements FramedConnection {

    private static final Logger LOG = LoggerFactory.getLogger(NettyFramedConnection.class);
    /** A peer chooses its protocol errors: WARN at most every 10 s, the rest at DEBUG. */
    private static final RateLimitedWarning PROTOCOL_ERRORS = new RateLimitedWarning(LOG);
    private static final int PAUSE_MESSAGES = 64;
    private static final long PAUSE_BYTES = 4L << 20;
    /** Default of {@code guardian.transport.writeStallMillis}: how long a send waits for a peer that takes nothing. */
    static final long DEFAULT_WRITE_STALL_MILLIS = 10_000;
    /** Signalled when the channel's writability changes or it closes; senders wait on it. */
    private final Object writability = new Object();
    private final long writeStallNanos;
    /** How long a CLOSE frame may take to leave before the socket is closed anyway. */

    private final Channel channel;
    private final PeerId remotePeer;
    private final Multiaddr remoteAddress;
    private final ProtocolVersion version;
    private final long handshakeRttNanos;
    private final int maxFrameSize;
    private final Mailbox mailbox = new Mailbox();
    /**
     * DATA frames decoded from the current read, published to the mailbox together at the end of
     * the read (event loop only). Why: a peer that sends its reply and an extra frame in one write
     * must not let the caller take the reply, return the connection and have it judged clean
     * before the extra frame is queued; the pool checks {@link #hasUnreadData()} at release.
     */
    private final ArrayDeque<byte[]> readBatch = new ArrayDeque<>();
    private final Runnable flushReadBatch = this::flushReadBatch;
    private final PingTracker pings;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final AtomicBoolean closing = new AtomicBoolean();
    /*
     * DATA payload bytes, each with a single writer: sent by the lease holder in send() (one
     * thread at a time, per the FramedConnection contract; a lease changes hands under the pool's
     * slot lock, which orders one holder's writes before the next's), received by the event loop
     * in onData(). So a plain read-add-write of a volatile is exact, and readers on any thread see
     * whole longs. Inline fields instead of AtomicLongs: no extra objects, fewer cache lines
     * touched when the pool reads them at release, and no locked instruction per send.
     */
    private volatile long bytesSent;
    private volatile long bytesReceived;
    /*
     * DATA frames decoded and not yet taken by receive() (the read batch included), and their
     * payload bytes: back-pressure and reusable() read them. Inline fields rather than atomics
     * objects, so that the pool's check on every acquire reads this object and nothing else.
     */
    private volatile int unread;
    private volatile long queuedBytes;
    private static final AtomicIntegerFieldUpdater<NettyFramedConnection> UNREAD =
            AtomicIntegerFieldUpdater.newUpdater(NettyFramedConnection.class, "unread");
    private static final AtomicLongFieldUpdater<NettyFramedConnection> QUEUED_BYTES =
            AtomicLongFieldUpdater.newUpdater(NettyFramedConnection.class, "queuedBytes");
    private final Mailbox.Empty[] emptyReason = new Mailbox.Empty[1];
    private volatile String closeReason;
    /** What closed the connection; written before {@link #closeReason}, so set whenever that is. */
    private volatile Kind closeKind;
    private volatile boolean paused;
    /** Event loop only. */
    private final PingAnswerBudget pingAnswers;

    NettyFramedConnection(Channel channel, PeerId remotePeer, Multiaddr remoteAddress, ProtocolVersion version,
            long handshakeRttNanos, int maxFrameSize, int pingAnswersPerSecond) {
        this.channel = channel;
        this.remotePeer = remotePeer;
        this.remoteAddress = remoteAddress;
        this.version = version;
        this.handshakeRttNanos = handshakeRttNanos;
        this.maxFrameSize = maxFrameSize;
        this.pingAnswers = new PingAnswerBudget(pingAnswersPerSecond);
        this.pings = new PingTracker(channel, this::toString, this::closedBy);
        // Read per connection (cheap, once): tests and operators may change it without a restart.
        this.writeStallNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1L,
                Long.getLong("guardian.transport.writeStallMillis", DEFAULT_WRITE_STALL_MILLIS)));
        channel.closeFuture().addListener(future -> onClosed());
    }

    // ---- FramedConnection -------------------------------------------------------------------

    @Override
    public PeerId remotePeer() {
        return remotePeer;
    }

    @Override
    public Multiaddr remoteAddress() {
        return remoteAddress;
    }

    /** @return the handshake this connection completed */
    ProtocolVersion protocolVersion() {
        return version;
    }

    @Override
    public long handshakeRttNanos() {
        return handshakeRttNanos;
    }

    @Override
    public boolean isOpen() {
        return closeReason == null && channel.isActive();
    }

    @Override
    public boolean hasUnreadData() {
        return unread > 0;
    }

    /**
     * Reads two fields of this object, never the mailbox or the Netty channel. A socket
     * that has just closed may still pass for the instant before the close listener records its
     * reason; the holder's first send or receive then fails with a {@link TransportException}
     * as it would for a peer that closed just after the check.
     */
    @Override
    public boolean reusable() {
        return closeReason == null && unread == 0;
    }

    @Override
    public void send(byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        if (payload.length > maxFrameSize) {
            throw new IllegalArgumentException("message of " + payload.length + " bytes exceeds max-frame-size "
                    + maxFrameSize + "; split it or raise max-frame-size on both sides");
        }
        if (!isOpen()) {
            throw closedFailure("cannot send to " + this + ": " + closeReasonOr("closed"));
        }
        if (!channel.isWritable()) {
            awaitWritable(); // before encoding: nothing to release if it fails
        }
        ByteBuf frame = Frame.encode(channel.alloc(), Frame.DATA, payload);
        bytesSent += payload.length; // single writer: the lease holder (see the field)
        // Not a void promise: a write racing a close just fails its own future (Netty releases the
        // buffer), instead of sending an exception down a pipeline that may already be torn down.
        channel.writeAndFlush(frame);
    }

    /**
     * Waits until the peer has taken enough of what we sent for the channel to be writable again,
     * or the write-stall bound passes (the connection is then closed as gone), or it closes.
     */
    private void awaitWritable() {
        long deadline = System.nanoTime() + writeStallNanos;
        synchronized (writability) {
            while (!channel.isWritable() && isOpen()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    String reason = "peer stopped reading: nothing sent for " + TimeUnit.NANOSECONDS.toMillis(
                            writeStallNanos) + " ms (guardian.transport.writeStallMillis)";
                    close(reason);
                    throw new TransportException(Kind.LIMIT_EXCEEDED, "cannot send to " + this + ": " + reason);
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(writability, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TransportException(Kind.CLOSED_LOCALLY, "interrupted while waiting to send to " + this
                            + " (the thread's interrupt flag is set again)", e);
                }
            }
        }
        if (!isOpen()) {
            throw closedFailure("cannot send to " + this + ": " + closeReasonOr("closed"));
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        synchronized (writability) {
            writability.notifyAll();
        }
        updateAutoRead();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public byte[] receive(Duration timeout) {
        long nanos = timeout.toNanos();
        byte[] message = mailbox.take(nanos, emptyReason);
        if (message != null) {
            afterTake(message.length);
            return message;
        }
        switch (emptyReason[0]) {
            case TIMED_OUT:
                throw new TransportException(Kind.TIMED_OUT, "no DATA from " + this + " within "
                        + timeout.toMillis() + " ms");
            case INTERRUPTED:
                throw new TransportException(Kind.CLOSED_LOCALLY, "interrupted while waiting for DATA from " + this
                        + " (the thread's interrupt flag is set again)");
            default:
                throw closedFailure("connection to " + this + " closed: " + closeReasonOr("closed"));
        }
    }

    @Override
    public CompletableFuture<Long> ping(Duration timeout) {
        CompletableFuture<Long> result = new CompletableFuture<>();
        if (channel.eventLoop().inEventLoop()) {
            pings.start(result, timeout);
            return result;
        }
        try {
            channel.eventLoop().execute(() -> pings.start(result, timeout));
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new TransportException(Kind.CLOSED_LOCALLY, "cannot ping " + this
                    + ": its event loop has shut down", e));
        }
        return result;
    }

    @Override
    public void close(String reason) {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        recordClose(Kind.CLOSED_LOCALLY, "closed locally: " + reason);
        Frame.closeWithReason(channel, reason, maxFrameSize);
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        return closed;
    }

    @Override
    public String closeReason() {
        return closeReason;
    }

    /** A CLOSE frame, a FIN or a lost socket: the remote's side ended it, not a protocol error or us. */
    @Override
    public boolean closedByRemote() {
        return closeKind == Kind.CLOSED_BY_PEER;
    }

    @Override
    public long bytesSent() {
        return bytesSent;
    }

    @Override
    public long bytesReceived() {
        return bytesReceived;
    }

    @Override
    public String toString() {
        return "peer " + remotePeer + " at " + remoteAddress;
    }

    // ---- event loop --------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Frame frame = (Frame) msg;
        switch (frame.type()) {
            case Frame.DATA:
                onData(frame.payload());
                break;
            case Frame.PING:
                if (pingAnswers.tryAnswer()) {
                    ctx.writeAndFlush(Frame.encodePing(ctx.alloc(), Frame.PONG, frame.pingPayload()), ctx.voidPromise());
                } else {
                    LOG.debug("Not answering a PING from {}: over ping-answers-per-second ({} dropped so far)", this,
                            pingAnswers.dropped());
                }
                break;
            case Frame.PONG:
                pings.onPong(frame.pingPayload());
                break;
            default:
                recordClose(Kind.CLOSED_BY_PEER, "peer sent CLOSE: " + frame.closeReason());
                ctx.close();
                break;
        }
    }

    private void onData(byte[] payload) {
        if (closeReason != null) {
            return; // closing locally: nobody will read it
        }
        bytesReceived += payload.length; // single writer: the event loop
        long bytes = QUEUED_BYTES.addAndGet(this, payload.length);
        int messages = UNREAD.incrementAndGet(this);
        readBatch.add(payload);
        if (readBatch.size() == 1) {
            // Normally channelReadComplete publishes the batch; this task is the backstop for
            // frames fired outside a socket read (bytes left over from the handshake).
            channel.eventLoop().execute(flushReadBatch);
        }
        if (!paused && (messages >= PAUSE_MESSAGES || bytes >= PAUSE_BYTES)) {
            paused = true;
            updateAutoRead();
            LOG.debug("Pausing reads from {}: {} DATA frames ({} bytes) not yet received by the caller", this,
                    messages, bytes);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushReadBatch();
        ctx.fireChannelReadComplete();
    }

    private void flushReadBatch() {
        if (!readBatch.isEmpty()) {
            mailbox.putAll(readBatch);
            readBatch.clear();
        }
    }

    /** Event loop: read only while the caller keeps up and the peer takes our bytes. */
    private void updateAutoRead() {
        boolean read = !paused && channel.isWritable();
        if (channel.config().isAutoRead() != read) {
            channel.config().setAutoRead(read);
        }
    }

    /** Caller side: resume reading once the caller has drained the queue to half the thresholds. */
    private void afterTake(int length) {
        long bytes = QUEUED_BYTES.addAndGet(this, -length);
        int messages = UNREAD.decrementAndGet(this);
        if (paused && messages <= PAUSE_MESSAGES / 2 && bytes <= PAUSE_BYTES / 2) {
            try {
                channel.eventLoop().execute(() -> {
                    if (paused && unread <= PAUSE_MESSAGES / 2 && queuedBytes <= PAUSE_BYTES / 2) {
                        paused = false;
                        updateAutoRead();
                    }
                });
            } catch (RejectedExecutionException loopGone) {
                // Shutting down: the channel closes with its loop.
            }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof FrameDecoder.FrameViolation) {
            recordClose(Kind.PROTOCOL_VIOLATION, "protocol error from peer: " + cause.getMessage());
            PROTOCOL_ERRORS.log("Closing connection to {}: protocol error: {}", this, cause.getMessage());
        } else if (cause instanceof IOException) {
            recordClose(Kind.CLOSED_BY_PEER, "connection lost: " + cause.getMessage());
            LOG.debug("Connection to {} lost: {}", this, cause.toString());
        } else {
            recordClose(Kind.CLOSED_LOCALLY, "internal error: " + cause);
            LOG.warn("Closing connection to {} after an unexpected error", this, cause);
        }
        ctx.close();
    }

    private void onClosed() {
        recordClose(Kind.CLOSED_BY_PEER, "closed by peer");
        flushReadBatch(); // DATA that arrived before the close is still delivered, in order
        mailbox.close();
        pings.failAll(closeKind, closeReason);
        synchronized (writability) {
            writability.notifyAll(); // a sender waiting for the peer to read gives up now
        }
        closed.complete(null);
    }

    private void recordClose(Kind kind, String reason) {
        if (closeReason == null) {
            synchronized (this) {
                if (closeReason == null) {
                    closeKind = kind;
                    closeReason = reason;
                }
            }
        }
    }

    /**
     * The failure of an operation on a closed connection, of the kind of what closed it; a socket
     * found inactive before any reason was recorded was closed from the other end.
     */
    private TransportException closedFailure(String message) {
        return new TransportException(closedBy(), message);
    }

    private Kind closedBy() {
        Kind kind = closeKind;
        return kind == null ? Kind.CLOSED_BY_PEER : kind;
    }

    private String closeReasonOr(String fallback) {
        String reason = closeReason;
        return reason == null ? fallback : reason;
    }
}
