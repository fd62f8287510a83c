package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.SpinWait;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The read side of one stream: bytes the event loop delivered and the reader has not taken, and
 * the flow-control credit owed to the remote for them. Not API.
 *
 * <p>Credit rule: the remote's window is credited only as the reader takes bytes out, so at most
 * a window of unread data is held. One exception keeps large messages possible: while
 * {@link #readMessage} waits for a declared message larger than what is buffered, arrivals are
 * credited at once up to that message's length, which the caller bounds with {@code maxLength}.
 *
 * <p>Lock: {@code lock} guards every field; the event loop holds it for microseconds, and credit
 * is handed to the {@code credit} callback only after it is released.
 */
final class InboundBuffer {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final CompositeByteBuf bytes;
    private final IntConsumer credit;
    /** Bytes in {@link #bytes} not yet credited back to the remote. */
    private int uncredited;
    /** While positive, arrivals are credited at once as long as the buffer holds at most this much. */
    private int creditUpTo;
    private boolean remoteClosed;
    private boolean readClosed;
    private TransportException failure;
    /** Bumped on every arrival, FIN or failure: what a reader polls while it spins, without the lock. */
    private volatile int news;
    /** The reader's short poll before it parks ({@link #readMessage}); one reader at a time. */
    private final SpinWait spinWait = new SpinWait();

    /**
     * @param alloc allocates the composite that holds the arrivals
     * @param credit returns credit to the remote (yamux {@code consumed}); called outside the lock
     */
    InboundBuffer(ByteBufAllocator alloc, IntConsumer credit) {
        this.bytes = alloc.compositeBuffer(1024);
        this.credit = credit;
    }

    /** Queues payload bytes from the event loop. Takes ownership of {@code data}. */
    void deliver(ByteBuf data) {
        int n = data.readableBytes();
        int owed = 0;
        lock.lock();
        try {
            if (readClosed || failure != null || bytes.refCnt() == 0) {
                data.release();
                owed = n; // nobody will read them: keep the remote's window open
            } else {
                bytes.addComponent(true, data);
                uncredited += n;
                if (creditUpTo > 0 && bytes.readableBytes() <= creditUpTo) {
                    owed = uncredited;
                    uncredited = 0;
                }
                changed.signalAll();
            }
            news++;
        } finally {
            lock.unlock();
        }
        pay(owed);
    }

    /** The remote sent its FIN: readers see the end once the buffer is drained. */
    void remoteClosed() {
        lock.lock();
        try {
            remoteClosed = true;
            news++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Ends reading with {@code cause} (the first cause wins) and drops what was buffered. */
    void fail(TransportException cause) {
        lock.lock();
        try {
            if (failure == null) {
                failure = cause;
            }
            release();
            news++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The reader is done: drops what is buffered and what still comes, crediting it all.
     *
     * @return whether the remote had already ended its side (FIN or failure)
     */
    boolean close() {
        int owed;
        boolean ended;
        lock.lock();
        try {
            if (readClosed) {
                return true;
            }
            readClosed = true;
            owed = uncredited;
            uncredited = 0;
            release();
            ended = remoteClosed || failure != null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        pay(owed);
        return ended;
    }

    /**
     * Reads at least one byte, waiting until {@code deadline} (System.nanoTime).
     *
     * @return bytes read, or -1 at the end
     * @throws TransportException on failure or timeout
     * @throws InterruptedException if the waiting thread is interrupted
     */
    int read(byte[] into, int offset, int length, long deadline, String what) throws InterruptedException {
        int n;
        int owed;
        lock.lock();
        try {
            while (!bytes.isReadable()) {
                throwIfFailed();
                if (remoteClosed || readClosed) {
                    release(); // drained to the end: nothing more can arrive
                    return -1;
                }
                awaitChange(deadline, what);
            }
            n = Math.min(length, bytes.readableBytes());
            bytes.readBytes(into, offset, n);
            bytes.discardReadComponents();
            owed = taken(n);
        } finally {
            lock.unlock();
        }
        pay(owed);
        return n;
    }

    /**
     * Reads one {@code uvarint(length) ‖ message}, waiting until {@code deadline}.
     *
     * @return the message, or {@code null} at a clean end (nothing of a new message arrived)
     * @throws TransportException on failure, timeout, an oversized message or an end inside one
     * @throws InterruptedException if the waiting thread is interrupted
     */
    byte[] readMessage(int maxLength, long deadline, String what) throws InterruptedException {
        long start = System.nanoTime();
        boolean spun = false;
        while (true) {
            int owed;
            byte[] message;
            int seen = news;
            lock.lock();
            try {
                message = takeMessageLocked(maxLength, what);
                owed = owedCredit;
                owedCredit = 0;
                if (message == null && owed == 0 && spun) {
                    awaitChange(deadline, what);
                }
            } finally {
                lock.unlock();
            }
            // Credit outside the lock; before waiting again, since the rest of a large message may
            // only come once the remote has room.
            pay(owed);
            if (message == END) {
                return null;
            }
            if (message != null) {
                spinWait.recordWait(System.nanoTime() - start);
                return message;
            }
            if (!spun && owed == 0) {
                // Once per read, before the first park: a quick reply is taken without a wake-up.
                // Only an optimisation: the locked check and wait above stay the way news is seen.
                spun = true;
                spinWait.spin(start, deadline - start, () -> news != seen);
            }
        }
    }

    /** What {@link #pollMessage} returns at a clean end of the stream (compared by identity). */
    static final byte[] END = new byte[0];

    /**
     * {@link #readMessage} without waiting: a whole message if one is buffered; else {@code null},
     * having let a large declared message be credited as {@code readMessage} does.
     *
     * @return the message, {@link #END} at a clean end, or {@code null} while incomplete
     * @throws TransportException on failure, an oversized message or an end inside one
     */
    byte[] pollMessage(int maxLength, String what) {
        int owed;
        byte[] message;
        lock.lock();
        try {
            message = takeMessageLocked(maxLength, what);
            owed = owedCredit;
            owedCredit = 0;
        } finally {
            lock.unlock();
        }
        pay(owed);
        return message;
    }

    /** Credit {@link #takeMessageLocked} found owed, paid by its caller once the lock is released. */
    private int owedCredit;

    /**
     * Under the lock: takes the next whole message, or says why there is none. Leaves in
     * {@link #owedCredit} what is to be credited to the remote.
     *
     * @return the message; {@link #END} at a clean end (nothing of a new message arrived); or
     *     {@code null} while it is incomplete
     */
    private byte[] takeMessageLocked(int maxLength, String what) {
        throwIfFailed();
        int before = bytes.readableBytes();
        ByteBuf slice = LengthPrefixed.read(bytes, maxLength, what);
        if (slice != null) {
            byte[] message = new byte[slice.readableBytes()];
            slice.readBytes(message);
            slice.release();
            bytes.discardReadComponents();
            creditUpTo = 0;
            owedCredit = taken(before - bytes.readableBytes());
            return message;
        }
        if (remoteClosed || readClosed) {
            if (before == 0) {
                release(); // drained to the end: nothing more can arrive
                return END;
            }
            throw new TransportException(Kind.PROTOCOL_VIOLATION, what + ": the stream ended inside a message ("
                    + before + " bytes of it arrived)");
        }
        owedCredit = allowFor(maxLength, what);
        return null;
    }

    /**
     * Takes exactly {@code n} bytes if that many are buffered, without blocking.
     *
     * @return the bytes, or {@code null} if fewer are there
     * @throws TransportException if the stream failed
     */
    byte[] poll(int n) {
        byte[] out;
        int owed;
        lock.lock();
        try {
            throwIfFailed();
            if (bytes.readableBytes() < n) {
                return null;
            }
            out = new byte[n];
            bytes.readBytes(out);
            bytes.discardReadComponents();
            owed = taken(n);
        } finally {
            lock.unlock();
        }
        pay(owed);
        return out;
    }

    /** @return bytes buffered and not yet read (0 once failed or closed) */
    int available() {
        lock.lock();
        try {
            return failure != null || readClosed ? 0 : bytes.readableBytes();
        } finally {
            lock.unlock();
        }
    }

    /** @return whether the remote sent its FIN */
    boolean isRemoteClosed() {
        lock.lock();
        try {
            return remoteClosed;
        } finally {
            lock.unlock();
        }
    }

    /** @return the failure that ended reading, or {@code null} */
    TransportException failure() {
        lock.lock();
        try {
            return failure;
        } finally {
            lock.unlock();
        }
    }

    private void throwIfFailed() {
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * When the varint of a message longer than what is buffered has arrived, lets arrivals be
     * credited up to that message's length. Under the lock.
     *
     * @return bytes to credit now
     */
    private int allowFor(int maxLength, String what) {
        int start = bytes.readerIndex();
        int length;
        try {
            length = LengthPrefixed.readLength(bytes, maxLength, what);
        } finally {
            bytes.readerIndex(start);
        }
        if (length < 0) {
            return 0;
        }
        creditUpTo = LengthPrefixed.lengthOfLength(length) + length;
        int owed = uncredited;
        uncredited = 0;
        return owed;
    }

    /** Bytes taken out of the buffer: those not yet credited are credited now. Under the lock. */
    private int taken(int n) {
        int creditedInBuffer = bytes.readableBytes() + n - uncredited;
        int fromUncredited = Math.max(0, n - creditedInBuffer);
        uncredited -= fromUncredited;
        return fromUncredited;
    }

    private void awaitChange(long deadline, String what) throws InterruptedException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new TransportException(Kind.TIMED_OUT, what + " timed out");
        }
        changed.awaitNanos(left);
    }

    /** Drops the buffered bytes; the composite stays empty and unusable after. Under the lock. */
    private void release() {
        if (bytes.refCnt() > 0) {
            bytes.clear();
            bytes.release();
        }
    }

    private void pay(int owed) {
        if (owed > 0) {
            credit.accept(owed);
        }
    }
}
