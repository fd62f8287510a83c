package io.guardian.pool.internal.pool;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default scheduler: one daemon thread named {@value #THREAD_NAME}, created on first use (a
 * pool that never retries and never monitors starts no thread). Not API.
 */
final class HousekeeperScheduler implements PoolScheduler {

    static final String THREAD_NAME = "guardian-pool-housekeeper";
    private static final Logger LOG = LoggerFactory.getLogger(HousekeeperScheduler.class);

    private ScheduledThreadPoolExecutor executor;
    private boolean shutdown;

    @Override
    public Cancellable schedule(Runnable task, long delayNanos) {
        ScheduledThreadPoolExecutor ex = executor();
        if (ex == null) {
            return () -> { };
        }
        var future = ex.schedule(() -> runSafely(task), Math.max(0L, delayNanos), TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }

    private static void runSafely(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException | Error e) {
            LOG.error("Guardian pool housekeeping task failed; the pool keeps running", e);
        }
    }

    private synchronized ScheduledThreadPoolExecutor executor() {
        if (shutdown) {
            return null;
        }
        if (executor == null) {
            ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, THREAD_NAME);
                t.setDaemon(true);
                return t;
            });
            // Cancelled waiter deadlines and retries would otherwise pile up until their due time.
            ex.setRemoveOnCancelPolicy(true);
            ex.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            executor = ex;
        }
        return executor;
    }

    @Override
    public void shutdown() {
        ScheduledThreadPoolExecutor ex;
        synchronized (this) {
            shutdown = true;
            ex = executor;
        }
        if (ex == null) {
            return;
        }
        ex.shutdownNow();
        if (Thread.currentThread().getName().equals(THREAD_NAME)) {
            return; // closed from one of our own tasks: it cannot wait for itself to finish
        }
        try {
            if (!ex.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("{} did not stop within 5 s; a housekeeping task is stuck", THREAD_NAME);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
