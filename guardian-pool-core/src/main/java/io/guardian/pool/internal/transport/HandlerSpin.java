package io.guardian.pool.internal.transport;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * How long a listener's handler thread that just answered a connection (guardian-db) or a stream
 * (libp2p) keeps polling for its next message before it gives the thread back. Not API.
 *
 * <p>Why: in request/reply traffic the next request comes one round trip after the reply. A
 * handler thread that returned to its executor meanwhile has parked, and waking it costs a futex
 * wake-up, 30-40 µs on the reference machine (a KVM guest), as long as a bare socket's whole round
 * trip. Polling for a few microseconds, yielding between polls, keeps the thread at hand, and the
 * event loop's hand-off finds it still running. Only with the listener's own handler pool, whose
 * queue it can see: a poller stops at once when other work waits for a handler thread. Budget:
 * system property {@code guardian.transport.handlerSpinMicros}, default
 * {@value #DEFAULT_SPIN_MICROS}; 0 turns it off. While every core is busy ({@link SpinGate}) the
 * thread does not poll at all: it would only keep the event loop that reads the next message off
 * a core.
 *
 * @param nanos the polling budget, 0 for none
 * @param othersWaiting whether other work waits for a handler thread
 * @param gate whether the machine's cores have room for polling now
 */
public record HandlerSpin(long nanos, BooleanSupplier othersWaiting, SpinGate gate) {

    /** Default budget, µs: about twice the 64-byte loopback round trip of a bare JDK socket here. */
    public static final long DEFAULT_SPIN_MICROS = 50;

    /** No polling: a handler thread goes back to its executor as soon as it has answered. */
    public static final HandlerSpin OFF = new HandlerSpin(0, () -> true, SpinGate.SHARED);

    /**
     * @param othersWaiting whether other work waits for a handler thread (the pool's queue is not empty)
     * @return the budget of {@code guardian.transport.handlerSpinMicros}
     */
    public static HandlerSpin configured(BooleanSupplier othersWaiting) {
        return new HandlerSpin(TimeUnit.MICROSECONDS.toNanos(Math.max(0L,
                Long.getLong("guardian.transport.handlerSpinMicros", DEFAULT_SPIN_MICROS))), othersWaiting,
                SpinGate.SHARED);
    }

    /** @return whether a poll would run now (a budget, and cores with room for it) */
    public boolean enabled() {
        return nanos > 0 && gate.isOpen(gate.now());
    }

    /**
     * Polls {@code arrived}, yielding the core between polls, until it is true, the budget is
     * spent, {@code quit} is true, other work waits for a handler thread, the thread is interrupted,
     * or a yield shows that a neighbour holds the core (which closes the {@link SpinGate}).
     *
     * @param arrived whether the next message is there; cheap, never blocking
     * @param quit whether to stop polling for another reason (the connection is closing)
     * @return whether {@code arrived} became true while polling
     */
    public boolean awaitNext(BooleanSupplier arrived, BooleanSupplier quit) {
        long now = gate.now();
        if (nanos == 0 || !gate.isOpen(now)) {
            return false;
        }
        long end = now + nanos;
        do {
            if (quit.getAsBoolean() || othersWaiting.getAsBoolean() || Thread.currentThread().isInterrupted()) {
                return false;
            }
            Thread.yield();
            long after = gate.now();
            if (!gate.afterPause(after - now, after)) {
                return arrived.getAsBoolean(); // a neighbour held the core: stop polling (SpinGate)
            }
            now = after;
            if (arrived.getAsBoolean()) {
                return true;
            }
        } while (now - end < 0);
        return false;
    }
}
