package io.guardian.pool.internal.transport;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The work queue of a listener's own handler threads: a worker that finds it empty polls it for a
 * few microseconds, yielding the core between polls, before it blocks. Not API.
 *
 * <p>Why: in request/reply traffic the next message of a connection arrives one round trip after
 * the handler answered the last one. A worker blocked in the queue then costs a futex wake-up
 * per message, which on the reference machine (a KVM guest) takes 30-40 µs, as long as the
 * whole round trip of a bare socket. A worker still polling takes the message at once, and the
 * event loop's offer finds nobody to signal. The window is short and yields, so an idle listener
 * costs nothing and a busy machine gets the core back. Budget: system property
 * {@code guardian.transport.handlerSpinMicros}, default {@value #DEFAULT_SPIN_MICROS}; 0 blocks at
 * once, as a plain {@link LinkedBlockingQueue}.
 */
final class SpinThenParkQueue extends LinkedBlockingQueue<Runnable> {

    private static final long serialVersionUID = 1L;

    static final long DEFAULT_SPIN_MICROS = 50;

    private final long spinNanos;

    SpinThenParkQueue() {
        this(TimeUnit.MICROSECONDS.toNanos(Long.getLong("guardian.transport.handlerSpinMicros", DEFAULT_SPIN_MICROS)));
    }

    SpinThenParkQueue(long spinNanos) {
        this.spinNanos = Math.max(0L, spinNanos);
    }

    @Override
    public Runnable poll(long timeout, TimeUnit unit) throws InterruptedException {
        long budget = Math.min(spinNanos, unit.toNanos(timeout));
        Runnable task = spin(budget);
        if (task != null) {
            return task;
        }
        return super.poll(unit.toNanos(timeout) - budget, TimeUnit.NANOSECONDS);
    }

    @Override
    public Runnable take() throws InterruptedException {
        Runnable task = spin(spinNanos);
        return task != null ? task : super.take();
    }

    private Runnable spin(long budget) throws InterruptedException {
        if (budget <= 0) {
            return null;
        }
        long end = System.nanoTime() + budget;
        do {
            Runnable task = super.poll();
            if (task != null) {
                return task;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            Thread.yield();
        } while (System.nanoTime() - end < 0);
        return null;
    }
}
