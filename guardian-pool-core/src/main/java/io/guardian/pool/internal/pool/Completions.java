package io.guardian.pool.internal.pool;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's own threads for work that must leave the network threads: taking in a dial's outcome
 * (and so completing the caller's future) and adopting a connection a listener accepted. Not API.
 *
 * <p>The JDK's async pool would do, except on small machines: with fewer than three processors its
 * common pool has a parallelism of one and {@code CompletableFuture} then starts a new thread per
 * task, so a thousand dials failing at once meant hundreds of threads. Here at most
 * {@code max(2, processors)} threads, started on demand and stopped after 10 s idle, take tasks in
 * order from an unbounded queue (each task is short: bookkeeping and a future's completion).
 */
final class Completions implements Executor {

    private static final Logger LOG = LoggerFactory.getLogger(Completions.class);
    static final String THREAD_PREFIX = "guardian-pool-completion-";
    private static final AtomicInteger POOLS = new AtomicInteger();

    private final ThreadPoolExecutor executor;

    Completions() {
        int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
        int pool = POOLS.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        executor = new ThreadPoolExecutor(threads, threads, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, THREAD_PREFIX + pool + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        executor.allowCoreThreadTimeOut(true);
    }

    @Override
    public void execute(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            // Closed: run it here, so a dial's outcome (a connection to close, a caller to fail) is never lost.
            task.run();
        }
    }

    /** Lets queued tasks finish and stops the threads; waits up to 5 s unless called from one of them. */
    void shutdown() {
        executor.shutdown();
        if (Thread.currentThread().getName().startsWith(THREAD_PREFIX)) {
            return;
        }
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("Pool completion threads did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
