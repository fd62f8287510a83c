package io.guardian.pool.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class CoarseTickerTest {

    /** Generous bound on how far a reading may trail: a tick plus scheduling delay on a busy CI machine. */
    private static final long MAX_LAG_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    @AfterEach
    void noTickerLeftRunning() {
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !CoarseTicker.running());
    }

    @Test
    void withoutAHolderEveryReadingIsThePreciseClock() {
        assertThat(CoarseTicker.running()).isFalse();
        long before = System.nanoTime();
        long reading = CoarseTicker.nanoTime();
        long after = System.nanoTime();
        assertThat(reading).isBetween(before, after);
    }

    @Test
    void whileHeldReadingsAdvanceAndTrailThePreciseClockByLittle() {
        CoarseTicker.retain();
        try {
            long first = CoarseTicker.nanoTime();
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1))
                    .until(() -> CoarseTicker.nanoTime() - first >= TimeUnit.MILLISECONDS.toNanos(3));
            for (int i = 0; i < 1_000; i++) {
                long precise = System.nanoTime();
                long coarse = CoarseTicker.nanoTime();
                assertThat(precise - coarse).isLessThan(MAX_LAG_NANOS);
            }
        } finally {
            CoarseTicker.release();
        }
    }

    @Test
    void readingsNeverGoBackwardsOnOneThread() {
        CoarseTicker.retain();
        try {
            long last = CoarseTicker.nanoTime();
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300); // spans sleeping and waking
            while (System.nanoTime() < end) {
                long now = CoarseTicker.nanoTime();
                // A precise reading taken while the ticker wakes may lead the first cached one by
                // the time the ticker took to wake; never by more.
                assertThat(now).isGreaterThan(last - MAX_LAG_NANOS);
                last = Math.max(last, now);
            }
        } finally {
            CoarseTicker.release();
        }
    }

    @Test
    void itSleepsWhenNobodyReadsAndTheNextReadWakesItWithAFreshReading() {
        CoarseTicker.retain();
        try {
            CoarseTicker.nanoTime();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(CoarseTicker::asleep);
            long precise = System.nanoTime();
            long whileAsleep = CoarseTicker.nanoTime(); // precise, and wakes the ticker
            assertThat(whileAsleep).isGreaterThanOrEqualTo(precise);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !CoarseTicker.asleep());
            assertThat(System.nanoTime() - CoarseTicker.nanoTime()).isLessThan(MAX_LAG_NANOS);
        } finally {
            CoarseTicker.release();
        }
    }

    @Test
    void theThreadRunsWhileAnyHolderRemainsAndStopsWithTheLast() {
        CoarseTicker.retain();
        CoarseTicker.retain();
        CoarseTicker.release();
        assertThat(CoarseTicker.running()).isTrue();
        CoarseTicker.release();
        assertThat(CoarseTicker.running()).isFalse(); // release joins the thread
        CoarseTicker.release(); // one too many: ignored
        assertThat(CoarseTicker.running()).isFalse();
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().equals(CoarseTicker.THREAD_NAME) && t.isAlive());
    }
}
