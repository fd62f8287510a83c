package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SpinThenParkQueueTest {

    @Test
    void aTaskOfferedDuringTheSpinIsTakenAndOneOfferedAfterItWakesTheBlockedTaker() throws Exception {
        SpinThenParkQueue queue = new SpinThenParkQueue(TimeUnit.MILLISECONDS.toNanos(200));
        Runnable early = () -> { };
        Runnable late = () -> { };
        CompletableFuture<Runnable> first = CompletableFuture.supplyAsync(() -> takeUninterruptibly(queue));
        queue.offer(early);
        assertThat(first.get(5, TimeUnit.SECONDS)).isSameAs(early);

        SpinThenParkQueue blocking = new SpinThenParkQueue(0);
        CompletableFuture<Runnable> second = CompletableFuture.supplyAsync(() -> takeUninterruptibly(blocking));
        blocking.offer(late);
        assertThat(second.get(5, TimeUnit.SECONDS)).isSameAs(late);
    }

    @Test
    void pollWithATimeoutShorterThanTheSpinReturnsNullOnTime() throws Exception {
        SpinThenParkQueue queue = new SpinThenParkQueue(TimeUnit.SECONDS.toNanos(10));
        long start = System.nanoTime();
        assertThat(queue.poll(20, TimeUnit.MILLISECONDS)).isNull();
        long waited = System.nanoTime() - start;
        assertThat(waited).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20))
                .isLessThan(TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void anInterruptDuringTheSpinEndsTheWait() {
        SpinThenParkQueue queue = new SpinThenParkQueue(TimeUnit.SECONDS.toNanos(10));
        Thread.currentThread().interrupt();
        assertThatThrownBy(queue::take).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse(); // the exception consumed the flag
    }

    @Test
    void asAThreadPoolQueueItRunsEveryTaskAndLetsTheWorkersStopAtShutdown() throws Exception {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new SpinThenParkQueue());
        pool.allowCoreThreadTimeOut(true);
        int tasks = 10_000;
        AtomicInteger ran = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(tasks);
        for (int i = 0; i < tasks; i++) {
            pool.execute(() -> {
                ran.incrementAndGet();
                done.countDown();
            });
        }
        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(ran).hasValue(tasks);
        pool.shutdown();
        assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    private static Runnable takeUninterruptibly(SpinThenParkQueue queue) {
        try {
            return queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
