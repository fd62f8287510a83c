package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.MessageChannel;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.net.StreamException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One lease's stream: messages are a uvarint length and the bytes (the libp2p convention). Not
 * API. A send queues its message and returns without waiting for the event loop to write it (as a
 * guardian-db send hands its frame to the channel and returns): a request's caller then waits once,
 * for the reply, instead of twice. The next send waits for the previous one's write, and a
 * receive reports a send that failed. Failures come out as the {@link TransportException} underneath the stream's public
 * exception, so the pool sees one family of errors for both wire stacks.
 */
final class StreamMessages implements MessageChannel {

    private final StreamChannel stream;
    private final int maxMessage;
    /**
     * The connection's parked streams, or {@code null} when no protocol is reusable (a stream per
     * lease, nothing counted).
     */
    private final IdleStreams idle;
    /** Whether this stream's protocol may carry the next lease once this one ends clean. */
    private final boolean reusable;
    /** Run on the event loop while parked: the remote sent data, a FIN or a reset. Made once per stream. */
    private final Runnable news;
    /** The last send's write, until it is seen to complete: sends do not wait for their own write. */
    private CompletableFuture<Void> lastWrite;
    private long moved;
    private boolean ended;
    /** Whether a message arrived on this stream: a reset after that is not a refusal. */
    private boolean receivedAny;
    /** This lease's messages each way: the stream is reused only if every one sent was answered. */
    private long sent;
    private long received;
    /** A send or receive of this lease failed or timed out: the stream is never reused. */
    private boolean faulted;
    private long parkedAtNanos;

    StreamMessages(StreamChannel stream, int maxMessage) {
        this(stream, maxMessage, null, false);
    }

    /**
     * @param idle the connection's parked streams, or {@code null} if none are kept
     * @param reusable whether this stream may be parked for the next lease of its protocol
     */
    StreamMessages(StreamChannel stream, int maxMessage, IdleStreams idle, boolean reusable) {
        this.stream = stream;
        this.maxMessage = maxMessage;
        this.idle = idle;
        this.reusable = reusable && idle != null;
        this.news = this.reusable ? () -> idle.onNews(this) : null;
    }

    @Override
    public void send(byte[] message) {
        if (message.length > maxMessage) {
            throw new IllegalArgumentException("message of " + message.length + " bytes is larger than the "
                    + maxMessage + " bytes a stream message may have");
        }
        try {
            // One message in flight at most: the previous one must be written before the next is
            // queued, which bounds what a lease that only sends can pile up in yamux.
            CompletableFuture<Void> previous = lastWrite;
            if (previous != null) {
                lastWrite = null;
                stream.awaitWritten(previous);
            }
            lastWrite = stream.writeMessageAsync(message);
        } catch (StreamException e) {
            faulted = true;
            throw transportFailure(e);
        }
        sent++;
        moved += message.length;
    }

    @Override
    public byte[] receive(Duration timeout) {
        byte[] message;
        try {
            // A send that failed says so here, typed as the write's failure; one still under way
            // needs no wait: the reply cannot come before it has left.
            CompletableFuture<Void> previous = lastWrite;
            if (previous != null && previous.isDone()) {
                lastWrite = null;
                stream.awaitWritten(previous);
            }
            message = stream.readMessage(maxMessage, timeout);
        } catch (StreamException e) {
            faulted = true; // a timeout too: what comes late must not reach the next lease
            throw transportFailure(e);
        }
        if (message == null) {
            faulted = true;
            // A clean end (FIN) where a message was due: js-libp2p ends every stream this way when it
            // closes a connection gracefully, so this is the remote going away, not a reply.
            throw new TransportException(Kind.CLOSED_BY_PEER, "the remote ended " + stream
                    + " (FIN) before sending a message");
        }
        moved += message.length;
        receivedAny = true;
        received++;
        return message;
    }

    private static TransportException transportFailure(StreamException e) {
        if (e.getCause() instanceof TransportException t) {
            return new TransportException(t.kind(), e.getMessage(), e);
        }
        Kind kind = switch (e.reason()) {
            case TIMED_OUT -> Kind.TIMED_OUT;
            case RESET -> Kind.RESET;
            case PROTOCOL_REFUSED -> Kind.PROTOCOL_REFUSED;
            case PROTOCOL_VIOLATION -> Kind.PROTOCOL_VIOLATION;
            case LIMIT_EXCEEDED -> Kind.LIMIT_EXCEEDED;
            default -> Kind.CLOSED_LOCALLY;
        };
        return new TransportException(kind, e.getMessage(), e);
    }

    @Override
    public boolean wholeConnection() {
        return false;
    }

    @Override
    public long bytesMoved() {
        return moved;
    }

    @Override
    public void end(boolean clean) {
        if (ended) {
            return;
        }
        ended = true;
        if (idle != null) {
            if (clean && reusable && cleanForReuse()) {
                if (idle.park(this)) {
                    return;
                }
            } else {
                idle.returned();
            }
        }
        if (clean && stream.isOpen()) {
            stream.close();
        } else {
            stream.reset();
        }
    }

    /**
     * Whether the stream may carry another lease: this lease exchanged at least one message each
     * way (so the protocol was accepted) and answered every one it sent, nothing failed or timed
     * out, no write is in flight or failed, nothing unread is buffered, and neither side closed or
     * reset it.
     */
    boolean cleanForReuse() {
        CompletableFuture<Void> w = lastWrite;
        return !faulted && received > 0 && sent == received
                && (w == null || (w.isDone() && !w.isCompletedExceptionally()))
                && quiet() && !stream.writeClosed();
    }

    /** @return whether the remote has been silent: nothing unread, no FIN, no reset */
    boolean quiet() {
        return stream.isOpen() && stream.available() == 0 && !stream.remoteClosed();
    }

    /** Made ready for the next lease: its counts start over (slot of {@link IdleStreams#take}). */
    void reopen() {
        ended = false;
        moved = 0L;
        sent = 0L;
        received = 0L;
        lastWrite = null;
    }

    boolean sameProtocol(String protocol) {
        String p = stream.protocol();
        return p == protocol || p.equals(protocol);
    }

    long parkedAtNanos() {
        return parkedAtNanos;
    }

    void parkedAt(long nanos) {
        parkedAtNanos = nanos;
    }

    /** While parked: the remote's data, FIN or reset drops the stream at once. */
    void watch() {
        stream.watch(news);
    }

    void unwatch() {
        stream.watch(null);
    }

    /** Ends a parked stream that will not be reused: closed in order if it is clean, else reset. */
    void discard() {
        if (stream.isOpen() && stream.available() == 0 && !stream.writeClosed()) {
            stream.close();
        } else {
            stream.reset();
        }
    }

    StreamChannel stream() {
        return stream;
    }

    /**
     * A reset before the remote accepted the stream (no ACK yet), or before it sent any message on
     * it: js-libp2p, for one, negotiates the protocol and then resets a stream over its inbound
     * limit, so the ACK alone does not tell.
     */
    @Override
    public boolean refusedUnaccepted() {
        TransportException f = stream.failure();
        return f != null && f.kind() == Kind.RESET && (!receivedAny || stream.refusedUnaccepted());
    }
}
