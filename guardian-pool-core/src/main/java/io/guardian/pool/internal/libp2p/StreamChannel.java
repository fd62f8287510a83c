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
import io.netty.buffer.CompositeByteBuf;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A yamux stream made blocking and negotiated: the {@link P2pStream} that handlers and the dialer
 * API use. Not API.
 *
 * <p>Negotiation runs on the event loop, never on a caller's thread: {@link Selection} parses the
 * remote's multistream messages as they arrive. The opening side selects lazily (0-RTT): the
 * header and the proposal go out in the same frame as the first data, and data read before the
 * remote's answer is only handed to the caller once the answer accepted the protocol.
 *
 * <p>Inbound bytes wait in a composite buffer until read, and the remote's window is credited
 * only as the caller takes them, so at most a window of unread data is held per stream; while
 * {@link #readMessage} waits for a declared message larger than that, arrivals are credited at
 * once up to the message's length (bounded by the caller's {@code maxLength}).
 *
 * <p>Lock: {@code lock} guards the inbound buffer and the state fields below it; it is taken by
 * the event loop for microseconds and never held while waiting on the network.
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

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final CompositeByteBuf inbound;
    /** Bytes in {@link #inbound} not yet credited back to the remote. */
    private int uncredited;
    /** While positive, arrivals are credited at once as long as the buffer holds at most this much. */
    private int creditUpTo;
    private boolean remoteClosed;
    private boolean readClosed;
    private TransportException failure;
    private volatile String protocol;
    /** The select bytes still to be sent ahead of the first data (opening side only); event-loop free. */
    private ByteBuf pendingSelect;
    private boolean writeClosed;
    /** Called on the event loop after data, a FIN or a failure arrived: for handlers that never block. */
    private volatile Runnable onChange;

    /** Payload bytes moved by all streams of one connection. */
    static final class Traffic {
        final java.util.concurrent.atomic.LongAdder received = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAdder sent = new java.util.concurrent.atomic.LongAdder();
    }

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
        this.inbound = alloc.compositeBuffer(1024);
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
        channel.pendingSelect = select;
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
        if (!selection.done()) {
            ByteBuf rest;
            try {
                rest = selection.feed(this, data);
            } catch (TransportException e) {
                fail(e);
                stream.reset();
                return;
            }
            if (rest == null) {
                return;
            }
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
        int credit = 0;
        lock.lock();
        try {
            if (readClosed || failure != null) {
                data.release();
                credit = n;
            } else {
                inbound.addComponent(true, data);
                uncredited += n;
                if (creditUpTo > 0 && inbound.readableBytes() <= creditUpTo) {
                    credit = uncredited;
                    uncredited = 0;
                }
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (credit > 0) {
            stream.consumed(credit);
        }
        notifyChange();
    }

    @Override
    public void onRemoteClose(YamuxStream s) {
        if (!selection.done()) {
            fail(new TransportException(Kind.CLOSED_BY_PEER, "remote " + remote + " closed the stream during protocol "
                    + "negotiation" + (protocol == null ? "" : " of " + protocol)));
            return;
        }
        lock.lock();
        try {
            remoteClosed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        notifyChange();
    }

    @Override
    public void onReset(YamuxStream s, TransportException cause) {
        fail(cause);
    }

    /** Ends the stream for the reader with {@code cause}; releases what was buffered. */
    void fail(TransportException cause) {
        lock.lock();
        try {
            if (failure == null) {
                failure = cause;
            }
            releaseInbound();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
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
        int credit;
        byte[] out;
        lock.lock();
        try {
            if (failure != null) {
                throw error(failure);
            }
            if (inbound.readableBytes() < n) {
                return null;
            }
            out = new byte[n];
            inbound.readBytes(out);
            inbound.discardReadComponents();
            credit = taken(n);
        } finally {
            lock.unlock();
        }
        if (credit > 0) {
            stream.consumed(credit);
        }
        return out;
    }

    /** @return bytes buffered and not yet read */
    int available() {
        lock.lock();
        try {
            return failure != null || readClosed ? 0 : inbound.readableBytes();
        } finally {
            lock.unlock();
        }
    }

    /** @return whether the remote sent its FIN */
    boolean remoteClosed() {
        lock.lock();
        try {
            return remoteClosed;
        } finally {
            lock.unlock();
        }
    }

    /** @return the failure that ended the stream, or {@code null} */
    TransportException failure() {
        lock.lock();
        try {
            return failure;
        } finally {
            lock.unlock();
        }
    }

    /** Drops what the reader will never take; the buffer stays empty and unusable after. Under the lock. */
    private void releaseInbound() {
        if (inbound.refCnt() > 0) {
            inbound.clear();
            inbound.release();
        }
    }

    /** Sends bytes from the event loop (negotiation answers); failures reset the stream. */
    void writeFromLoop(ByteBuf bytes) {
        stream.write(bytes).whenComplete((ok, error) -> {
            if (error != null) {
                stream.reset();
            }
        });
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
        ByteBuf buf = alloc.buffer(LengthPrefixed.lengthOfLength(message.length) + message.length);
        LengthPrefixed.write(buf, message, 0, message.length);
        send(buf);
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
        ByteBuf select;
        synchronized (this) {
            select = pendingSelect;
            pendingSelect = null;
            if (writeClosed) {
                buf.release();
                if (select != null) {
                    select.release();
                }
                throw error(new TransportException(Kind.CLOSED_LOCALLY, "the stream's sending side is closed"));
            }
        }
        traffic.sent.add(buf.readableBytes());
        if (select != null) {
            buf = alloc.compositeBuffer(2).addComponents(true, select, buf);
        }
        return stream.write(buf);
    }

    /** Sends the pending select messages now, for an opening side that reads before it writes. */
    void flushSelect() {
        ByteBuf select;
        synchronized (this) {
            select = pendingSelect;
            pendingSelect = null;
        }
        if (select != null) {
            stream.write(select).whenComplete((ok, error) -> {
                if (error != null) {
                    stream.reset();
                }
            });
        }
    }

    @Override
    public int read(byte[] into, int offset, int length, Duration timeout) {
        refuseEventLoop();
        flushSelect();
        if (length == 0) {
            return 0;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        int credit;
        int n;
        lock.lock();
        try {
            while (!inbound.isReadable()) {
                if (failure != null) {
                    throw error(failure);
                }
                if (remoteClosed || readClosed) {
                    return -1;
                }
                awaitChange(deadline, "read");
            }
            n = Math.min(length, inbound.readableBytes());
            inbound.readBytes(into, offset, n);
            inbound.discardReadComponents();
            credit = taken(n);
        } finally {
            lock.unlock();
        }
        if (credit > 0) {
            stream.consumed(credit);
        }
        return n;
    }

    @Override
    public byte[] readMessage(int maxLength, Duration timeout) {
        refuseEventLoop();
        flushSelect();
        long deadline = System.nanoTime() + timeout.toNanos();
        int credit = 0;
        byte[] message;
        lock.lock();
        try {
            while (true) {
                if (failure != null) {
                    throw error(failure);
                }
                int before = inbound.readableBytes();
                ByteBuf slice;
                try {
                    slice = LengthPrefixed.read(inbound, maxLength, "message from " + remote);
                } catch (TransportException e) {
                    stream.reset();
                    fail(e);
                    throw error(e);
                }
                if (slice != null) {
                    message = new byte[slice.readableBytes()];
                    slice.readBytes(message);
                    slice.release();
                    inbound.discardReadComponents();
                    creditUpTo = 0;
                    credit = taken(before - inbound.readableBytes());
                    break;
                }
                if (remoteClosed || readClosed) {
                    if (before == 0) {
                        return null;
                    }
                    TransportException cut = new TransportException(Kind.PROTOCOL_VIOLATION, remote
                            + " closed the stream inside a message (" + before + " bytes of it read)");
                    fail(cut);
                    throw error(cut);
                }
                credit += allowFor(maxLength);
                if (credit > 0) {
                    // Credit before waiting: the rest of a large message may only come once the remote has room.
                    int c = credit;
                    credit = 0;
                    lock.unlock();
                    try {
                        stream.consumed(c);
                    } finally {
                        lock.lock();
                    }
                    continue;
                }
                awaitChange(deadline, "readMessage");
            }
        } finally {
            lock.unlock();
        }
        if (credit > 0) {
            stream.consumed(credit);
        }
        return message;
    }

    /**
     * When the varint of a message longer than what is buffered has arrived, lets arrivals be
     * credited up to that message's length. Under the lock.
     *
     * @return bytes to credit now
     */
    private int allowFor(int maxLength) {
        int start = inbound.readerIndex();
        int length;
        try {
            length = LengthPrefixed.readLength(inbound, maxLength, "message");
        } finally {
            inbound.readerIndex(start);
        }
        if (length < 0) {
            return 0;
        }
        creditUpTo = LengthPrefixed.lengthOfLength(length) + length;
        int credit = uncredited;
        uncredited = 0;
        return credit;
    }

    /** Bytes taken out of the buffer: those not yet credited are credited now. Under the lock. */
    private int taken(int n) {
        int creditedInBuffer = inbound.readableBytes() + n - uncredited;
        int fromUncredited = Math.max(0, n - creditedInBuffer);
        uncredited -= fromUncredited;
        return fromUncredited;
    }

    private void awaitChange(long deadline, String what) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw error(new TransportException(Kind.TIMED_OUT, what + " on " + describe() + " timed out"));
        }
        try {
            changed.awaitNanos(left);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stream.reset();
            throw new StreamException(StreamException.Reason.INTERRUPTED, "interrupted while waiting on "
                    + describe() + "; the stream was reset", e);
        }
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
        flushSelect();
        synchronized (this) {
            if (writeClosed) {
                return;
            }
            writeClosed = true;
        }
        stream.closeWrite();
    }

    @Override
    public void reset() {
        stream.reset();
        fail(new TransportException(Kind.CLOSED_LOCALLY, "stream " + describe() + " was reset by this side"));
    }

    @Override
    public void close() {
        closeWrite();
        int credit;
        boolean remoteDone;
        lock.lock();
        try {
            if (readClosed) {
                return;
            }
            readClosed = true;
            credit = uncredited;
            uncredited = 0;
            releaseInbound();
            remoteDone = remoteClosed || failure != null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (credit > 0) {
            stream.consumed(credit);
        }
        if (!remoteDone) {
            try {
                loop.schedule(() -> {
                    if (!stream.isReadClosed()) {
                        stream.reset();
                    }
                }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                stream.reset(); // the loops are shutting down: no linger
            }
        }
    }

    @Override
    public boolean isOpen() {
        lock.lock();
        try {
            return failure == null && !stream.isReset();
        } finally {
            lock.unlock();
        }
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
        StreamException.Reason reason = switch (e.kind()) {
            case TIMED_OUT -> StreamException.Reason.TIMED_OUT;
            case RESET -> StreamException.Reason.RESET;
            case PROTOCOL_REFUSED -> StreamException.Reason.PROTOCOL_REFUSED;
            case PROTOCOL_VIOLATION, BAD_SIGNATURE, IDENTITY_MISMATCH, UNSUPPORTED_KEY ->
                    StreamException.Reason.PROTOCOL_VIOLATION;
            case LIMIT_EXCEEDED -> StreamException.Reason.LIMIT_EXCEEDED;
            default -> StreamException.Reason.CLOSED;
        };
        String message = e.getMessage();
        return new StreamException(reason, message.contains(remote.toString()) ? message : message + " (" + describe() + ")", e);
    }

    @Override
    public String toString() {
        return "StreamChannel[" + describe() + "]";
    }
}
