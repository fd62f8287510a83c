package io.guardian.pool.benchmarks.versus;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a counted number of operations over a fixed number of threads, each taking the next one
 * until none are left, as the reference peers' {@code bench-dial} does with goroutines or tasks.
 * The first failure stops every worker and is rethrown. Not API.
 */
final class Workers {

    /** No run of the quick or full profile comes near this; a hung operation fails the run instead. */
    private static final long DEADLINE_MILLIS = TimeUnit.MINUTES.toMillis(5);

    /** One operation; {@code worker} is the index of the thread running it. */
    @FunctionalInterface
    interface Op {
        /**
         * @param worker 0 to concurrency - 1
         * @throws Exception any failure, which ends the run
         */
        void run(int worker) throws Exception;
    }

    private Workers() {
    }

    /**
     * @param count operations in all
     * @param concurrency threads
     * @param op the operation
     * @return wall seconds from the first start to the last end
     * @throws Exception the first operation's failure, or a timeout
     */
    static double run(int count, int concurrency, Op op) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int w = 0; w < concurrency; w++) {
            int worker = w;
            Thread t = new Thread(() -> {
                while (failure.get() == null && next.getAndIncrement() < count) {
                    try {
                        op.run(worker);
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                }
            }, "bench-worker-" + w);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        long deadline = System.currentTimeMillis() + DEADLINE_MILLIS;
        for (Thread t : threads) {
            t.join(Math.max(1, deadline - System.currentTimeMillis()));
            if (t.isAlive()) {
                failure.compareAndSet(null, new TimeoutException(count + " operations over " + concurrency
                        + " threads did not finish within " + DEADLINE_MILLIS + " ms"));
                break;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (failure.get() != null) {
            throw failure.get();
        }
        return seconds;
    }
}
