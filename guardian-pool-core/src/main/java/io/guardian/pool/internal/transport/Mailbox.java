package io.guardian.pool.internal.transport;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * Hands inbound DATA payloads from the event loop (one producer) to the thread holding the lease
 * (one consumer at a time), at close to the speed of a blocking socket read. Not API.
 *
 * <p>Why not a {@code BlockingQueue}: parking the caller and having the event loop unpark it costs a
 * futex wake-up and a scheduler hop on every reply (measured at 24-53 µs per round trip on the
 * reference machine, as much as the round trip itself). Instead the consumer first polls for a
 * short, bounded time, yielding the core between polls, long enough for a loopback or LAN reply,
 * and only then registers itself as {@link #waiter} and parks. The producer unparks only a registered
 * waiter, so in the common case the event loop pays one queue offer and one volatile read.
 *
 * <p>The poll is {@link SpinWait}'s: bounded by {@code guardian.transport.spinMicros}, skipped
 * while recent waits were far longer, and while every core is busy ({@link SpinGate}).
 *
 * <p>Memory ordering: the producer offers, then reads {@code waiter}; the consumer writes
 * {@code waiter}, then polls. Both are volatile accesses, so at least one side sees the other and
 * no wake-up is lost.
 */
final class Mailbox {

    /** Default spin budget, {@link SpinWait#DEFAULT_SPIN_MICROS}. */
    static final long DEFAULT_SPIN_MICROS = SpinWait.DEFAULT_SPIN_MICROS;

    private final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
    private final SpinWait spinWait;
    private volatile Thread waiter;
    private volatile boolean closed;

    Mailbox() {
        this.spinWait = new SpinWait();
    }

    Mailbox(long spinNanos, SpinGate gate) {
        this.spinWait = new SpinWait(spinNanos, gate);
    }

    /** Outcome of {@link #take} when no message is returned. */
    enum Empty { TIMED_OUT, CLOSED, INTERRUPTED }

    /**
     * Adds several messages (event loop only) so that the consumer sees all of them or none: a
     * caller that takes the first cannot finish its lease and find the connection clean while the
     * rest of the same read is still being decoded. Wakes the consumer once, if it is parked.
     * (The connection counts unread messages itself, for back-pressure and reuse checks.)
     */
    void putAll(java.util.Collection<byte[]> messages) {
        queue.addAll(messages);
        Thread parked = waiter;
        if (parked != null) {
            LockSupport.unpark(parked);
        }
    }

    /** Marks the end of input: a waiting consumer returns once the queued messages are drained. */
    void close() {
        closed = true;
        Thread parked = waiter;
        if (parked != null) {
            LockSupport.unpark(parked);
        }
    }

    /**
     * Takes the next message, waiting up to {@code timeoutNanos}. Queued messages are delivered
     * even after {@link #close()}, in order, before {@link Empty#CLOSED} is reported.
     *
     * @param result receives the reason when {@code null} is returned
     * @return the message, or {@code null} with the reason in {@code result[0]}
     */
    byte[] take(long timeoutNanos, Empty[] result) {
        byte[] message = poll();
        if (message != null) {
            return message;
        }
        long start = System.nanoTime();
        long deadline = start + timeoutNanos;
        if (spinWait.spin(start, timeoutNanos, () -> closed || !queue.isEmpty())) {
            message = poll();
            if (message != null) {
                // The common case: taken without registering as a waiter the producer must read.
                spinWait.recordWait(System.nanoTime() - start);
                return message;
            }
        }
        Thread self = Thread.currentThread();
        waiter = self;
        try {
            while (true) {
                message = poll();
                if (message != null) {
                    spinWait.recordWait(System.nanoTime() - start);
                    return message;
                }
                if (closed) {
                    // Re-poll after reading closed: a message put before close() must not be lost.
                    message = poll();
                    if (message != null) {
                        return message;
                    }
                    result[0] = Empty.CLOSED;
                    return null;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    spinWait.recordWait(timeoutNanos);
                    result[0] = Empty.TIMED_OUT;
                    return null;
                }
                if (Thread.interrupted()) {
                    self.interrupt();
                    result[0] = Empty.INTERRUPTED;
                    return null;
                }
                LockSupport.parkNanos(this, left);
            }
        } finally {
            waiter = null;
        }
    }

    private byte[] poll() {
        return queue.poll();
    }
}
