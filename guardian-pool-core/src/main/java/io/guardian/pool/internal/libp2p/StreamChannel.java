package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.libp2p.yamux.StreamListener;
import io.guardian.pool.internal.libp2p.yamux.YamuxStream;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.net.P2pStream;
import io.guardian.pool.net.StreamException;
import io.guardian.pool.peer.PeerId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A yamux stream made blocking and negotiated: the {@link P2pStream} that handlers and the dialer
 * API use. Not API.
 *
 * <p>Negotiation runs on the event loop, never on a caller's thread: {@link Selection} parses the
 * remote's multistream messages as they arrive. The opening side selects lazily (0-RTT): the
 * header and the proposal go out in the same frame as the first data, and data read before the
 * remote's answer is only handed to the caller once the answer accepted the protocol.
 *
 * <p>Inbound bytes wait in an {@link InboundBuffer} until read; it credits the remote's window
 * only as the caller takes them. Writes go out through yamux, large ones in pieces.
 */
public final class StreamChannel implements P2pStream, StreamListener {

    /** How long a stream we closed waits for the remote's FIN before it is reset. */
    static final long LINGER_MILLIS = 10_000;

    private final YamuxStream stream;
    private final PeerId remote;
    private final EventExecutor loop;
    private final ByteBufAllocator alloc;
    private final Duration writeTimeout;
    private final Selection selection;
    private final Traffic traffic;
    /** The most bytes yamux queues for one stream (its maxBufferedOutbound). */
    private final int maxQueued;

    private final InboundBuffer inbound;
    private int negotiationBytes; // fed to the selection so far (event loop only)
    private volatile String protocol;
    /** Orders hand-offs to yamux across threads; guards the two fields below. */
    private final Object writeLock = new Object();
    /** The select bytes still to be sent ahead of the first data (opening side only). */
    private ByteBuf pendingSelect;
    private boolean writeClosed;
    /** Called on the event loop after data, a FIN or a failure arrived: for handlers that never block. */
    private volatile Runnable onChange;
    /**
     * The reset due if the remote never answers our close with its FIN; cancelled when it does, so
     * a busy pool closing thousands of streams a second does not keep each one for the linger.
     */
    private volatile java.util.concurrent.ScheduledFuture<?> linger;

    StreamChannel(YamuxStream stream, PeerId remote, EventExecutor loop, ByteBufAllocator alloc,
            Duration writeTimeout, Selection selection, String protocol, Traffic traffic, int maxQueued) {
        this.traffic = traffic;
        this.maxQueued = maxQueued;
        this.stream = stream;
        this.remote = remote;
        this.loop = loop;
        this.alloc = alloc;
        this.writeTimeout = writeTimeout;
        this.selection = selection;
        this.protocol = protocol;
        this.inbound = new InboundBuffer(alloc, stream::consumed);
    }

    /**
     * Opens our side of an outbound stream: the select messages wait to go out with the first
     * write (or right away, on {@link #flushSelect()}).
     */
    static StreamChannel outbound(YamuxStream stream, PeerId remote, EventExecutor loop, ByteBufAllocator alloc,
            Duration writeTimeout, String protocol, Selection.Listener listener, Traffic traffic, int maxQueued) {
        StreamChannel channel = new StreamChannel(stream, remote, loop, alloc, writeTimeout,
                Selection.initiator(protocol, listener), protocol, traffic, maxQueued);
        ByteBuf select = alloc.buffer(Multistream.encodedLength(Multistream.HEADER) + Multistream.encodedLength(protocol));
        Multistream.write(select, Multistream.HEADER);
        Multistream.write(select, protocol);
        channel.pendingSelect = select; // before the channel is shared: no lock needed
        return channel;
    }

    /** Wraps an inbound stream whose protocol the remote is about to propose. */
    static StreamChannel inbound(YamuxStream stream, PeerId remote, EventExecutor loop, ByteBufAllocator alloc,
            Duration writeTimeout, Selection selection, Traffic traffic, int maxQueued) {
        return new StreamChannel(stream, remote, loop, alloc, writeTimeout, selection, null, traffic, maxQueued);
    }

    /** @return the yamux stream underneath */
    YamuxStream yamux() {
        return stream;
    }

    @Override
    public PeerId remotePeer() {
        return remote;
    }

    @Override
    public String protocol() {
        return protocol;
    }

    void protocol(String negotiated) {
        this.protocol = negotiated;
    }

    // ---- event loop side ----------------------------------------------------------------------

    @Override
    public void onData(YamuxStream s, ByteBuf data) {
        if (!selection.done() && inbound.failure() != null) {
            inbound.deliver(data); // negotiation already failed: dropped, and credited back
            return;
        }
        if (!selection.done()) {
            ByteBuf rest;
            negotiationBytes += data.readableBytes();
            try {
                rest = selection.feed(this, data);
            } catch (TransportException e) {
                fail(e);
                if (selection.refusedAny()) {
                    // After an 'na', whatever followed the refused proposal (a 0-RTT dialer's first
                    // message) cannot parse as a proposal: end our side in order, so the 'na' ahead
                    // of it reaches the dialer rather than being overtaken by a reset.
                    close();
                } else {
                    stream.reset();
                }
                return;
            }
            if (rest == null) {
                return;
            }
            // Negotiation read: its bytes go back to budget and window now, not at the end of a long-lived stream.
            stream.consumed(negotiationBytes - rest.readableBytes());
            data = rest;
        }
        deliver(data);
    }

    /** Queues payload bytes for the reader (selection is over). Takes ownership of {@code data}. */
    void deliver(ByteBuf data) {
        int n = data.readableBytes();
        if (n == 0) {
            data.release();
            return;
        }
        traffic.received.add(n);
        inbound.deliver(data);
        notifyChange();
    }

    @Override
    public void onRemoteClose(YamuxStream s) {
        if (!selection.done()) {
            fail(new TransportException(Kind.CLOSED_BY_PEER, "remote " + remote + " closed the stream during protocol "
                    + "negotiation" + (protocol == null ? "" : " of " + protocol)));
            return;
        }
        inbound.remoteClosed();
        cancelLinger();
        notifyChange();
    }

    private void cancelLinger() {
        java.util.concurrent.ScheduledFuture<?> l = linger;
        if (l != null) {
            linger = null;
            l.cancel(false);
        }
    }

    @Override
    public void onReset(YamuxStream s, TransportException cause) {
        fail(cause);
    }

    /** Ends the stream for the reader with {@code cause}; releases what was buffered. */
    void fail(TransportException cause) {
        cancelLinger();
        inbound.fail(cause);
        notifyChange();
        if (loop.inEventLoop()) {
            selection.failed(this, cause);
        } else {
            try {
                loop.execute(() -> selection.failed(this, cause));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // The loops are gone with the process; nothing is left to release on them.
            }
        }
    }

    /**
     * Sets the hook run on the event loop after each arrival, FIN or failure (and once right
     * away), for handlers that work without blocking: identify, ping. They read with
     * {@link #poll}.
     */
    void onChange(Runnable hook) {
        this.onChange = hook;
        if (loop.inEventLoop()) {
            hook.run();
        } else {
            try {
                loop.execute(hook);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                stream.reset(); // the loops are shutting down: the hook would never hear of data
            }
        }
    }

    /** Sets (or clears) the {@link #onChange} hook without running it: a parked stream's watch. */
    void watch(Runnable hook) {
        this.onChange = hook;
    }

    /** @return whether our side sent its FIN (or is about to) */
    boolean writeClosed() {
        synchronized (writeLock) {
            return writeClosed;
        }
    }

    private void notifyChange() {
        Runnable hook = onChange;
        if (hook != null && loop.inEventLoop()) {
            hook.run();
        }
    }

    /**
     * Takes exactly {@code n} bytes if that many are buffered, without blocking.
     *
     * @return the bytes, or {@code null} if fewer are there
     * @throws StreamException if the stream failed
     */
    byte[] poll(int n) {
        try {
            return inbound.poll(n);
        } catch (TransportException e) {
            throw error(e);
        }
    }

    /**
     * Takes a whole {@code uvarint ‖ bytes} message if one is buffered, without blocking (handlers
     * that run on the event loop).
     *
     * @return the message, {@link InboundBuffer#END} at a clean end, or {@code null} while incomplete
     * @throws TransportException if the stream failed or the message is oversized or cut short
     */
    byte[] pollMessage(int maxLength) {
        return inbound.pollMessage(maxLength, "message from " + describe());
    }

    /** Runs {@code task} on this stream's event loop; nothing if the loops are gone. */
    void onLoop(Runnable task) {
        try {
            loop.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // The loops are shutting down with the process.
        }
    }

    /** Runs {@code task} on this stream's event loop after {@code nanos}; nothing if the loops are gone. */
    void onLoopAfter(Runnable task, long nanos) {
        try {
            loop.schedule(task, nanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // The loops are shutting down with the process.
        }
    }

    /** @return how long a write may wait for the remote's window before the stream is reset */
    Duration writeTimeout() {
        return writeTimeout;
    }

    /** @return bytes buffered and not yet read */
    int available() {
        return inbound.available();
    }

    /** @return whether the remote sent its FIN */
    boolean remoteClosed() {
        return inbound.isRemoteClosed();
    }

    /** @return the failure that ended the stream, or {@code null} */
    TransportException failure() {
        return inbound.failure();
    }

    /** Sends bytes from the event loop (negotiation answers); failures reset the stream. */
    void writeFromLoop(ByteBuf bytes) {
        stream.write(bytes).whenComplete((ok, error) -> {
            if (error != null) {
                ownWriteFailed(error);
            }
        });
    }

    /**
     * A write the stream made on its own (negotiation answers, the select messages), with no
     * caller to report to, failed: the stream is reset and its reader told, as a reset from either
     * side tells it. The yamux reset alone tells no listener, so a reader waiting for news (an
     * identify or ping exchange, a negotiation) would hold the stream and its buffer until its own
     * deadline, and for good if the event loops stopped first.
     */
    private void ownWriteFailed(Throwable error) {
        stream.reset();
        fail(error instanceof TransportException t ? t
                : new TransportException(Kind.CLOSED_LOCALLY, "write on " + describe() + " failed: " + error, error));
    }

    // ---- caller side --------------------------------------------------------------------------

    /** Bytes one blocking write keeps queued in yamux at most: half its outbound bound, so pieces pipeline. */
    static final int WRITE_PIECE = 64 * 1024;

    @Override
    public void write(byte[] bytes) {
        refuseEventLoop();
        long deadline = System.nanoTime() + writeTimeout.toNanos();
        // Large writes go in pieces, a bounded number in flight: yamux refuses to queue more than
        // its outbound bound for one stream, and pieces let the first bytes leave while the rest are copied.
        java.util.ArrayDeque<CompletableFuture<Void>> inFlight = new java.util.ArrayDeque<>();
        int maxInFlight = Math.max(1, maxQueued / WRITE_PIECE / 2);
        int offset = 0;
        do {
            int n = Math.min(WRITE_PIECE, bytes.length - offset);
            ByteBuf piece = alloc.buffer(n);
            piece.writeBytes(bytes, offset, n);
            offset += n;
            if (inFlight.size() >= maxInFlight) {
                await(inFlight.poll(), Duration.ofNanos(Math.max(1, deadline - System.nanoTime())), "write");
            }
            inFlight.add(writeAsync(piece));
        } while (offset < bytes.length);
        for (CompletableFuture<Void> pending : inFlight) {
            await(pending, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())), "write");
        }
    }

    @Override
    public void writeMessage(byte[] message) {
        send(framed(message));
    }

    /**
     * Queues one {@code uvarint ‖ bytes} message without waiting for it to be written, for a
     * caller that waits on something else next (a lease's request waits for the reply, which
     * cannot come before the request left). The caller bounds what it leaves in flight with
     * {@link #awaitWritten}.
     *
     * @return completes when the message is written to the connection
     * @throws StreamException if the stream's sending side is closed
     */
    CompletableFuture<Void> writeMessageAsync(byte[] message) {
        return writeAsync(framed(message));
    }

    /**
     * Waits, up to the write timeout, for a write of {@link #writeMessageAsync} (at once if it is
     * done), with the failures of {@link #writeMessage}.
     *
     * @throws StreamException if the write failed or did not complete in time (the stream is then reset)
     */
    void awaitWritten(CompletableFuture<Void> write) {
        if (!write.isDone()) {
            refuseEventLoop();
        }
        await(write, writeTimeout, "write");
    }

    private ByteBuf framed(byte[] message) {
        ByteBuf buf = alloc.buffer(LengthPrefixed.lengthOfLength(message.length) + message.length);
        LengthPrefixed.write(buf, message, 0, message.length);
        return buf;
    }

    private void send(ByteBuf buf) {
        refuseEventLoop();
        await(writeAsync(buf), writeTimeout, "write");
    }

    /**
     * Queues bytes without waiting (the select messages go first if still pending). Takes
     * ownership of {@code buf}.
     *
     * @return completes when the bytes are written to the connection
     */
    CompletableFuture<Void> writeAsync(ByteBuf buf) {
        // Handing bytes to yamux happens under writeLock, so the select messages, every write and
        // the FIN reach the event loop in the order they were made, whichever threads make them
        // (a reader that flushes the select races the writer otherwise, and the remote then reads
        // data where it expects the header).
        synchronized (writeLock) {
            ByteBuf select = pendingSelect;
            pendingSelect = null;
            if (writeClosed) {
                buf.release();
                if (select != null) {
                    select.release();
                }
                throw error(new TransportException(Kind.CLOSED_LOCALLY, "the stream's sending side is closed"));
            }
            traffic.sent.add(buf.readableBytes());
            if (select != null) {
                buf = alloc.compositeBuffer(2).addComponents(true, select, buf);
            }
            return stream.write(buf);
        }
    }

    /** Sends the pending select messages now, for an opening side that reads before it writes. */
    void flushSelect() {
        synchronized (writeLock) {
            ByteBuf select = pendingSelect;
            pendingSelect = null;
            if (select != null) {
                stream.write(select).whenComplete((ok, error) -> {
                    if (error != null) {
                        ownWriteFailed(error);
                    }
                });
            }
        }
    }

    @Override
    public int read(byte[] into, int offset, int length, Duration timeout) {
        refuseEventLoop();
        flushSelect();
        if (length == 0) {
            return 0;
        }
        try {
            return inbound.read(into, offset, length, System.nanoTime() + timeout.toNanos(), "read on " + describe());
        } catch (TransportException e) {
            throw readFailed(e);
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
    }

    @Override
    public byte[] readMessage(int maxLength, Duration timeout) {
        refuseEventLoop();
        flushSelect();
        try {
            return inbound.readMessage(maxLength, System.nanoTime() + timeout.toNanos(), "message from " + describe());
        } catch (TransportException e) {
            throw readFailed(e);
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
    }

    /** A timeout leaves the stream usable; any other read failure ends it, so the remote learns at once. */
    private StreamException readFailed(TransportException e) {
        if (e.kind() != Kind.TIMED_OUT && inbound.failure() == null) {
            stream.reset();
            fail(e);
        }
        return error(e);
    }

    private StreamException interrupted(InterruptedException e) {
        Thread.currentThread().interrupt();
        stream.reset();
        fail(new TransportException(Kind.CLOSED_LOCALLY, "interrupted"));
        return new StreamException(StreamException.Reason.INTERRUPTED, "interrupted while waiting on "
                + describe() + "; the stream was reset", e);
    }

    private void await(CompletableFuture<Void> future, Duration timeout, String what) {
        try {
            future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            stream.reset();
            throw error(new TransportException(Kind.TIMED_OUT, what + " on " + describe() + " did not complete within "
                    + timeout.toMillis() + " ms (the remote's window stayed full); the stream was reset"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stream.reset();
            throw new StreamException(StreamException.Reason.INTERRUPTED, "interrupted while writing to "
                    + describe() + "; the stream was reset", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw error(cause instanceof TransportException t ? t
                    : new TransportException(Kind.CLOSED_LOCALLY, what + " failed: " + cause, cause));
        }
    }

    @Override
    public void closeWrite() {
        synchronized (writeLock) {
            flushSelect();
            if (writeClosed) {
                return;
            }
            writeClosed = true;
            stream.closeWrite();
        }
    }

    @Override
    public void reset() {
        stream.reset();
        fail(new TransportException(Kind.CLOSED_LOCALLY, "stream " + describe() + " was reset by this side"));
    }

    @Override
    public void close() {
        closeWrite();
        if (inbound.close()) {
            return;
        }
        try {
            linger = loop.schedule(() -> {
                if (!stream.isReadClosed()) {
                    stream.reset();
                }
            }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
            if (stream.isReadClosed() || inbound.failure() != null) {
                cancelLinger(); // the FIN or a failure came while the timer was being set
            }
        } catch (java.util.concurrent.RejectedExecutionException e) {
            stream.reset(); // the loops are shutting down: no linger
        }
    }

    @Override
    public boolean isOpen() {
        return inbound.failure() == null && !stream.isReset();
    }

    /** @return whether the remote reset this stream before accepting it: it refused the stream */
    boolean refusedUnaccepted() {
        TransportException f = inbound.failure();
        return f != null && f.kind() == Kind.RESET && !stream.acknowledged();
    }

    private void refuseEventLoop() {
        if (loop.inEventLoop()) {
            throw new IllegalStateException("blocking stream call on a network thread: run it on another thread");
        }
    }

    private String describe() {
        return "stream " + stream.id() + " to " + remote + (protocol == null ? "" : " (" + protocol + ")");
    }

    /** Maps a transport failure to the public exception, naming the stream. */
    private StreamException error(TransportException e) {
        return StreamErrors.toPublic(e, remote, describe());
    }

    @Override
    public String toString() {
        return "StreamChannel[" + describe() + "]";
    }
}
