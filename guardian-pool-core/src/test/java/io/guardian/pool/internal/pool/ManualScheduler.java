package io.guardian.pool.internal.pool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A scheduler driven by a {@link FakeClock}: tasks run only in {@link #runDue()} or
 * {@link #advance(Duration)}, on the test's thread, in due-time order.
 */
public final class ManualScheduler implements PoolScheduler {

    private final FakeClock clock;
    private final PriorityQueue<Task> tasks = new PriorityQueue<>();
    private final List<Long> scheduledDelays = new ArrayList<>();
    private long sequence;
    private boolean shutdown;

    public ManualScheduler(FakeClock clock) {
        this.clock = clock;
    }

    private final class Task implements Comparable<Task>, Cancellable {
        final long due;
        final long seq;
        final Runnable body;
        final boolean housekeeping;
        boolean cancelled;

        Task(long due, long seq, Runnable body, boolean housekeeping) {
            this.due = due;
            this.seq = seq;
            this.body = body;
            this.housekeeping = housekeeping;
        }

        @Override
        public int compareTo(Task o) {
            int c = Long.compare(due, o.due);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }

        @Override
        public void cancel() {
            synchronized (ManualScheduler.this) {
                cancelled = true;
                tasks.remove(this);
            }
        }
    }

    @Override
    public synchronized Cancellable schedule(Runnable task, long delayNanos) {
        Task t = new Task(clock.nanoTime() + delayNanos, sequence++, task, false);
        if (!shutdown) {
            tasks.add(t);
            scheduledDelays.add(delayNanos);
        }
        return t;
    }

    /** Housekeeping runs like any task but is not counted in {@link #pending()} or {@link #scheduledDelays()}. */
    @Override
    public synchronized Cancellable scheduleHousekeeping(Runnable task, long delayNanos) {
        Task t = new Task(clock.nanoTime() + delayNanos, sequence++, task, true);
        if (!shutdown) {
            tasks.add(t);
        }
        return t;
    }

    /** @return housekeeping steps scheduled and not yet run */
    public synchronized int housekeepingPending() {
        return (int) tasks.stream().filter(t -> t.housekeeping).count();
    }

    @Override
    public synchronized void shutdown() {
        shutdown = true;
        tasks.clear();
    }

    public synchronized boolean isShutdown() {
        return shutdown;
    }

    /** Delays of every task scheduled so far, in order. */
    public synchronized List<Long> scheduledDelays() {
        return new ArrayList<>(scheduledDelays);
    }

    public synchronized int pending() {
        return (int) tasks.stream().filter(t -> !t.housekeeping).count();
    }

    /** Runs every task due now (including ones they schedule for now). */
    public void runDue() {
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.peek();
                if (next == null || next.due > clock.nanoTime()) {
                    return;
                }
                tasks.poll();
            }
            next.body.run();
        }
    }

    /** Moves the clock forward in steps to each due task, running them, up to {@code d}. */
    public void advance(Duration d) {
        long end = clock.nanoTime() + d.toNanos();
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.peek();
            }
            if (next == null || next.due > end) {
                break;
            }
            long step = next.due - clock.nanoTime();
            if (step > 0) {
                clock.advance(Duration.ofNanos(step));
            }
            runDue();
        }
        long rest = end - clock.nanoTime();
        if (rest > 0) {
            clock.advance(Duration.ofNanos(rest));
        }
        runDue();
    }
}
