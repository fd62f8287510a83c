package io.guardian.pool.internal.pool;

/**
 * Runs the pool's delayed work: retry backoffs, waiter deadlines, health and leak passes. Not
 * API. Injected so tests can run due tasks by stepping a clock; the default runs them on one
 * daemon thread.
 */
public interface PoolScheduler {

    /** A scheduled task that can still be cancelled. */
    interface Cancellable {
        /** Stops the task from running if it has not started. Idempotent. */
        void cancel();
    }

    /**
     * Runs {@code task} once after {@code delayNanos}. Exceptions thrown by the task are logged,
     * never propagated into the scheduler.
     *
     * @param task what to run
     * @param delayNanos how long from now, zero or more
     * @return a handle to cancel it
     */
    Cancellable schedule(Runnable task, long delayNanos);

    /**
     * Schedules a step of the pool's own housekeeping (passes, leak checks), which runs for the
     * engine's whole life. Separate from {@link #schedule} so a scheduler can tell the always-on
     * cadence apart from work an acquire is waiting for (test schedulers count only the latter as
     * pending); the default runs it like any other task.
     *
     * @param task what to run
     * @param delayNanos how long from now, zero or more
     * @return a handle to cancel it
     */
    default Cancellable scheduleHousekeeping(Runnable task, long delayNanos) {
        return schedule(task, delayNanos);
    }

    /**
     * Runs {@code task} soon, off the calling thread.
     *
     * @param task what to run
     */
    default void execute(Runnable task) {
        schedule(task, 0L);
    }

    /** Drops pending tasks and stops the scheduler's threads. Idempotent. */
    void shutdown();
}
