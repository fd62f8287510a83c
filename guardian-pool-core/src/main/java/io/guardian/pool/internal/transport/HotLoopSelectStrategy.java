package io.guardian.pool.internal.transport;

import io.netty.channel.SelectStrategy;
import io.netty.channel.SelectStrategyFactory;
import io.netty.util.IntSupplier;
import java.util.concurrent.TimeUnit;

/**
 * Keeps an event loop awake for a few microseconds after it last had work, polling without
 * blocking, before it goes to sleep in {@code epoll_wait}/{@code select}. Not API.
 *
 * <p>Why: in a synchronous request/response the caller's next write arrives a few microseconds
 * after the loop delivered the previous reply. If the loop is already asleep, the write task
 * costs an eventfd wake-up and a scheduler hop (the biggest part of the 24-30 µs that a naive
 * Netty client adds over a blocking socket on the reference machine); if it is still polling, the
 * task is picked up at once and the reply that follows is usually caught by a poll as well. The
 * window is short, so idle connections cost nothing and a busy loop is busy anyway. Budget: system
 * property {@code guardian.transport.loopSpinMicros}, default {@value #DEFAULT_SPIN_MICROS}; 0
 * gives Netty's default behaviour (block as soon as there is nothing to do).
 *
 * <p>No polling while every core is busy ({@link SpinGate}, closed by the pool's and the listener's
 * spinners when a neighbour keeps them off their core): a polling loop would only hold a core that
 * the thread about to give it work needs.
 *
 * <p>One instance per event loop (the factory is called per loop), so its state is confined.
 */
final class HotLoopSelectStrategy implements SelectStrategy {

    static final long DEFAULT_SPIN_MICROS = 20;

    /** The factory the event-loop group is built with. */
    static final SelectStrategyFactory FACTORY = () -> new HotLoopSelectStrategy(TimeUnit.MICROSECONDS.toNanos(
            Long.getLong("guardian.transport.loopSpinMicros", DEFAULT_SPIN_MICROS)));

    private final long spinNanos;
    private final SpinGate gate;
    private long lastWork = System.nanoTime();

    HotLoopSelectStrategy(long spinNanos) {
        this(spinNanos, SpinGate.SHARED);
    }

    HotLoopSelectStrategy(long spinNanos, SpinGate gate) {
        this.spinNanos = spinNanos;
        this.gate = gate;
    }

    @Override
    public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
        if (hasTasks) {
            // Same as Netty's default: never block while tasks are queued.
            lastWork = System.nanoTime();
            return selectNow.get();
        }
        if (spinNanos == 0) {
            return SelectStrategy.SELECT;
        }
        int ready = selectNow.get();
        long now = System.nanoTime();
        if (ready > 0) {
            lastWork = now;
            return ready;
        }
        if (now - lastWork < spinNanos && gate.isOpen(now)) {
            Thread.onSpinWait();
            return SelectStrategy.CONTINUE;
        }
        return SelectStrategy.SELECT;
    }
}
