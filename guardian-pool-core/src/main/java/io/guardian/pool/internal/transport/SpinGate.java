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
 * second pays the penalty. A closing that comes after the gate stayed open for
 * {@value #MAX_CLOSED_MILLIS} ms starts again at the minimum. Why not shorten the closings after a
 * spin that went undisturbed: beside a hog most yields still return at once (measured: about 95%
 * under 10 µs), so such spins do not show the cores are free, and shortened closings then cost a lost
 * slice every few milliseconds. While the gate is closed every spinner blocks at once, as a plain
 * blocking design would.
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
    /** Length of the last closing (the next one doubles it, unless the gate stayed open a while). */
    private volatile long lastClosing;
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
        long length = nextClosingNanos(now);
        lastClosing = length;
        openAt = now + length;
        closings.incrementAndGet();
        return false;
    }

    /** @return how many times the gate has closed, for tests and diagnostics */
    long closings() {
        return closings.get();
    }

    /**
     * @param now a reading of {@link #now()}
     * @return how long the gate would close at {@code now}: twice the last closing, at most
     *     {@value #MAX_CLOSED_MILLIS} ms, or the minimum when it has been open that long already
     */
    long nextClosingNanos(long now) {
        long last = lastClosing;
        if (last == 0 || now - openAt >= MAX_CLOSED_NANOS) {
            return MIN_CLOSED_NANOS;
        }
        return Math.min(MAX_CLOSED_NANOS, last * 2);
    }
}
