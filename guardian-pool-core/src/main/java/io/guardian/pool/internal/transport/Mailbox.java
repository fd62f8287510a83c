package io.guardian.pool.internal.transport;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
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
 * <p>The spin adapts: it is skipped while the recent average wait is far longer than the spin
 * budget (a slow peer would only burn a core), and comes back as soon as replies are quick again.
 * Budget: system property {@code guardian.transport.spinMicros}, default {@value #DEFAULT_SPIN_MICROS}.
 *
 * <p>The spin also stops, and is skipped altogether for a while, when the machine's cores are all
 * busy ({@link SpinGate}): then a spinner only delays the thread that is producing its reply.
 *
 * <p>Memory ordering: the producer offers, then reads {@code waiter}; the consumer writes
 * {@code waiter}, then polls. Both are volatile accesses, so at least one side sees the other and
 * no wake-up is lost.
 */
final class Mailbox {

    /** Default spin budget: about twice the 64-byte loopback round trip of a bare JDK socket here. */
    static final long DEFAULT_SPIN_MICROS = 50;
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(
            Long.getLong("guardian.transport.spinMicros", DEFAULT_SPIN_MICROS));

    private final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
    private final long spinNanos;
    private final SpinGate gate;
    private volatile Thread waiter;
    private volatile boolean closed;
    /** Exponential average of recent waits (consumer-confined). */
    private long averageWaitNanos;

    Mailbox() {
        this(SPIN_NANOS, SpinGate.SHARED);
    }

    Mailbox(long spinNanos) {
        this(spinNanos, SpinGate.SHARED);
    }

    Mailbox(long spinNanos, SpinGate gate) {
        this.spinNanos = spinNanos;
        this.gate = gate;
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
        long spin = Math.min(timeoutNanos, averageWaitNanos > 4 * spinNanos ? 0 : spinNanos);
        long now = spin > 0 ? gate.now() : 0; // one clock reading for the gate and the first pause
        if (spin > 0 && !gate.isOpen(now)) {
            spin = 0; // every core is busy (SpinGate): park at once, as a blocking read would
        }
        long spinEnd = start + spin;
        while (spin > 0) {
            message = poll();
            if (message != null) {
                recordWait(System.nanoTime() - start);
                return message;
            }
            if (closed || System.nanoTime() - spinEnd >= 0) {
                break;
            }
            // Yield rather than busy-spin: on a quiet machine it returns at once (nothing else is
            // runnable), on an oversubscribed one it hands the core to the event loop or peer thread
            // that is about to produce our reply. On the loaded 2-core reference machine a busy
            // onSpinWait() spin made the p99 round trip worse than not spinning at all. A yield that
            // kept us off the core for long means a neighbour holds it: stop and park (SpinGate).
            Thread.yield();
            long after = gate.now();
            if (!gate.afterPause(after - now, after)) {
                break;
            }
            now = after;
        }
        Thread self = Thread.currentThread();
        waiter = self;
        try {
            while (true) {
                message = poll();
                if (message != null) {
                    recordWait(System.nanoTime() - start);
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
                    recordWait(timeoutNanos);
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

    private void recordWait(long nanos) {
        averageWaitNanos += (nanos - averageWaitNanos) >> 3;
    }
}
