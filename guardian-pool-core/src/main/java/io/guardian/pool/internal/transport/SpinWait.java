package io.guardian.pool.internal.transport;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The short, bounded poll a thread waiting for a reply does before it parks, shared by the
 * guardian-db caller's {@link Mailbox} and a libp2p stream's reader. Not API.
 *
 * <p>Why: on the reference machine (a 2-vCPU VM) waking a parked thread costs tens of
 * microseconds, as much as a loopback round trip itself; a waiter that polls for a little longer
 * than a quick reply takes is never parked for it. Bounded three ways: the budget (system property
 * {@code guardian.transport.spinMicros}, default {@value #DEFAULT_SPIN_MICROS} µs; 0 never polls);
 * no polling while this waiter's recent waits averaged far above the budget (a slow peer would only
 * burn a core), back as soon as replies are quick again; and none while every core is busy
 * ({@link SpinGate}), when a poller only delays the thread producing its reply. One instance per
 * waiter: the average is the waiter's own, not thread-safe.
 */
public final class SpinWait {

    /** Default budget: about twice the 64-byte loopback round trip of a bare JDK socket here. */
    public static final long DEFAULT_SPIN_MICROS = 50;
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(
            Math.max(0L, Long.getLong("guardian.transport.spinMicros", DEFAULT_SPIN_MICROS)));

    private final long spinNanos;
    private final SpinGate gate;
    /** Exponential average of recent waits. */
    private long averageWaitNanos;

    /** A waiter with the configured budget and the JVM's shared {@link SpinGate}. */
    public SpinWait() {
        this(SPIN_NANOS, SpinGate.SHARED);
    }

    SpinWait(long spinNanos, SpinGate gate) {
        this.spinNanos = spinNanos;
        this.gate = gate;
    }

    /**
     * Polls {@code ready}, yielding the core between polls, until it is true, the budget is spent,
     * {@code timeoutNanos} after {@code startNanos} has passed, or a yield shows that a neighbour
     * holds the core (which closes the {@link SpinGate}).
     *
     * @param startNanos when the wait began ({@code System.nanoTime()})
     * @param timeoutNanos the wait's whole deadline, from {@code startNanos}
     * @param ready what the waiter waits for; must be cheap and must not block
     * @return whether {@code ready} became true while polling
     */
    public boolean spin(long startNanos, long timeoutNanos, BooleanSupplier ready) {
        long spin = Math.min(timeoutNanos, averageWaitNanos > 4 * spinNanos ? 0 : spinNanos);
        if (spin <= 0) {
            return false;
        }
        long now = gate.now(); // one clock reading for the gate and the first pause
        if (!gate.isOpen(now)) {
            return false; // every core is busy: park at once, as a blocking read would
        }
        long spinEnd = startNanos + spin;
        while (true) {
            if (ready.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() - spinEnd >= 0) {
                return false;
            }
            // Yield rather than busy-spin: on a quiet machine it returns at once (nothing else is
            // runnable), on an oversubscribed one it hands the core to the event loop or peer thread
            // that is about to produce the reply. On the loaded 2-core reference machine a busy
            // onSpinWait() spin made the p99 round trip worse than not spinning at all. A yield that
            // kept us off the core for long means a neighbour holds it: stop (SpinGate).
            Thread.yield();
            long after = gate.now();
            if (!gate.afterPause(after - now, after)) {
                return ready.getAsBoolean();
            }
            now = after;
        }
    }

    /** Records how long a wait took (a timed-out one counts its whole timeout). */
    public void recordWait(long nanos) {
        averageWaitNanos += (nanos - averageWaitNanos) >> 3;
    }
}
