package io.guardian.pool.internal.transport;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Whether brief spin-waits pay off on this machine right now, shared by the JVM's three spinners:
 * the caller waiting for a reply ({@link Mailbox}), a listener handler thread waiting for its
 * connection's next message ({@code InboundSession.Spin}) and an event loop polling before it
 * sleeps ({@link HotLoopSelectStrategy}). Not API.
 *
 * <p>Why: a spin-wait saves a wake-up only while a core is idle. When every core is busy (other
 * processes, CPU hogs), the spinner competes with the very thread that is about to produce what it
 * waits for, and on Linux's EEVDF scheduler (6.6 and later) each {@code sched_yield} pushes the
 * spinner's virtual deadline a whole slice back, so a runnable neighbour then keeps the core for
 * its slice (about a millisecond) and the spinner, runnable rather than asleep, gets no wake-up
 * preemption when its message arrives. Measured on the 2-vCPU reference machine beside two
 * {@code yes > /dev/null} (RESULTS.md, "The pooled request beside CPU hogs"): the pooled 64-byte
 * request took about 1-2 ms with the spins and about 35 µs without them (handler inline), while
 * on a quiet machine the spins are what keeps it at the bare-socket floor.
 *
 * <p>How: a spinner times each pause between two polls ({@code Thread.yield()} returns at once
 * when nothing else wants the core). A pause longer than {@code guardian.transport.spinGapMicros}
 * (default {@value #DEFAULT_GAP_MICROS} µs) means another thread held the core: the spinner stops
 * and parks, and the gate closes for {@value #MIN_CLOSED_MILLIS} ms, doubling on each further
 * closing up to {@value #MAX_CLOSED_MILLIS} ms, so beside a steady CPU hog one probing spin per
 * second pays the penalty. Spins that pause without being held up halve the closing length
 * again. While the gate is closed every spinner blocks at once, as a plain blocking design would.
 *
 * <p>Thread-safe without locks: racing updates may lose a doubling or a halving, which only
 * shifts the next closing's length within its bounds.
 */
final class SpinGate {

    /** Default of {@code guardian.transport.spinGapMicros}: far above a quick hand-off, far below a slice. */
    static final long DEFAULT_GAP_MICROS = 200;
    /** First closing, and the shortest. */
    static final long MIN_CLOSED_MILLIS = 10;
    /** Longest closing: bounds how long spinning stays off after the machine went quiet. */
    static final long MAX_CLOSED_MILLIS = 1000;

    private static final long MIN_CLOSED_NANOS = TimeUnit.MILLISECONDS.toNanos(MIN_CLOSED_MILLIS);
    private static final long MAX_CLOSED_NANOS = TimeUnit.MILLISECONDS.toNanos(MAX_CLOSED_MILLIS);

    /** The JVM-wide gate every spinner consults (after the constants above: it reads them). */
    static final SpinGate SHARED = new SpinGate(System::nanoTime, TimeUnit.MICROSECONDS.toNanos(
            Math.max(1L, Long.getLong("guardian.transport.spinGapMicros", DEFAULT_GAP_MICROS))));

    private final LongSupplier clock;
    private final long gapNanos;
    /** Clock reading from which spinning is allowed again. */
    private volatile long openAt;
    /** Length of the next closing. */
    private volatile long nextClosing = MIN_CLOSED_NANOS;
    private final AtomicLong closings = new AtomicLong();

    SpinGate(LongSupplier clock, long gapNanos) {
        this.clock = clock;
        this.gapNanos = gapNanos;
        this.openAt = clock.getAsLong();
    }

    /** @return the clock spinners time their pauses with (the JVM's {@code nanoTime} outside tests) */
    long now() {
        return clock.getAsLong();
    }

    /**
     * @param now a reading of {@link #now()}
     * @return whether a spin may start
     */
    boolean isOpen(long now) {
        return now - openAt >= 0;
    }

    /**
     * Reports one pause of a spin (the time between two polls, the yield included).
     *
     * @param pauseNanos how long the pause took
     * @param now a reading of {@link #now()} taken when it ended
     * @return whether the spin may go on; {@code false} when another thread held the core, which
     *     also closes the gate
     */
    boolean afterPause(long pauseNanos, long now) {
        if (pauseNanos <= gapNanos) {
            return true;
        }
        long length = nextClosing;
        openAt = now + length;
        nextClosing = Math.min(MAX_CLOSED_NANOS, length * 2);
        closings.incrementAndGet();
        return false;
    }

    /** Reports a spin that paused at least once and was never held up: the cores have room again. */
    void undisturbed() {
        long length = nextClosing;
        if (length > MIN_CLOSED_NANOS) {
            nextClosing = Math.max(MIN_CLOSED_NANOS, length / 2);
        }
    }

    /** @return how many times the gate has closed, for tests and diagnostics */
    long closings() {
        return closings.get();
    }

    /** @return the length of the next closing in nanoseconds, for tests */
    long nextClosingNanos() {
        return nextClosing;
    }
}
