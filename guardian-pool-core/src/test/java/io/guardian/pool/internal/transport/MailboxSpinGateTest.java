package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The reply mailbox's spin obeys the {@link SpinGate}: a closed gate means park at once, a pause
 * that shows a neighbour holding the core closes the gate and parks; the deadline and the
 * delivery of messages are the same either way.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MailboxSpinGateTest {

    /** A spin budget far beyond the test: only the gate can end the spin early. */
    private static final long LONG_SPIN = TimeUnit.SECONDS.toNanos(60);
    private static final long GAP = TimeUnit.MICROSECONDS.toNanos(200);

    @Test
    void aClosedGateParksTheCallerAtOnceAndTheReplyStillWakesIt() throws Exception {
        AtomicLong clock = new AtomicLong();
        SpinGate gate = new SpinGate(clock::get, GAP);
        gate.afterPause(GAP + 1, clock.get()); // closed for the next 10 ms of this clock, which stands still
        Mailbox mailbox = new Mailbox(LONG_SPIN, gate);

        Taker taker = Taker.start(mailbox, TimeUnit.SECONDS.toNanos(20));
        awaitParked(taker.thread);
        mailbox.putAll(List.of(new byte[] {7}));
        assertThat(taker.result.get(10, TimeUnit.SECONDS)).containsExactly(7);
    }

    @Test
    void aPauseLongerThanTheGapClosesTheGateAndParks() throws Exception {
        AtomicLong clock = new AtomicLong();
        // Every reading one millisecond later than the last: each pause looks like a lost slice.
        SpinGate gate = new SpinGate(() -> clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(1)), GAP);
        Mailbox mailbox = new Mailbox(LONG_SPIN, gate);

        Taker taker = Taker.start(mailbox, TimeUnit.SECONDS.toNanos(20));
        awaitParked(taker.thread);
        assertThat(gate.closings()).isEqualTo(1);
        mailbox.putAll(List.of(new byte[] {1}, new byte[] {2}));
        assertThat(taker.result.get(10, TimeUnit.SECONDS)).containsExactly(1);
        Mailbox.Empty[] reason = new Mailbox.Empty[1];
        assertThat(mailbox.take(0, reason)).containsExactly(2);
    }

    @Test
    void withTheGateClosedTheDeadlineStillHolds() {
        AtomicLong clock = new AtomicLong();
        SpinGate gate = new SpinGate(clock::get, GAP);
        gate.afterPause(GAP + 1, clock.get());
        Mailbox mailbox = new Mailbox(LONG_SPIN, gate);
        Mailbox.Empty[] reason = new Mailbox.Empty[1];

        long start = System.nanoTime();
        assertThat(mailbox.take(TimeUnit.MILLISECONDS.toNanos(100), reason)).isNull();
        long took = System.nanoTime() - start;
        assertThat(reason[0]).isEqualTo(Mailbox.Empty.TIMED_OUT);
        assertThat(took).isBetween(TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void anOpenGateKeepsTheCallerSpinningUntilTheReply() throws Exception {
        AtomicLong clock = new AtomicLong();
        SpinGate gate = new SpinGate(clock::get, GAP); // clock stands still: no pause is ever long
        Mailbox mailbox = new Mailbox(LONG_SPIN, gate);

        Taker taker = Taker.start(mailbox, TimeUnit.SECONDS.toNanos(20));
        // Spinning (yielding), never parked on the mailbox, for a good while: the gate is open.
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        while (System.nanoTime() - until < 0) {
            assertThat(LockSupport.getBlocker(taker.thread)).isNotSameAs(mailbox);
            Thread.onSpinWait();
        }
        mailbox.putAll(List.of(new byte[] {9}));
        assertThat(taker.result.get(10, TimeUnit.SECONDS)).containsExactly(9);
        assertThat(gate.closings()).isZero();
    }

    /** Waits until the thread is parked on a mailbox (its blocker), which the spin never is. */
    private static void awaitParked(Thread thread) {
        await("caller parked").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
                .until(() -> LockSupport.getBlocker(thread) instanceof Mailbox
                        && thread.getState() == Thread.State.TIMED_WAITING);
    }

    /** One consumer thread doing a single take. */
    private static final class Taker {
        final CompletableFuture<byte[]> result = new CompletableFuture<>();
        final Thread thread;

        private Taker(Mailbox mailbox, long timeoutNanos) {
            thread = new Thread(() -> {
                Mailbox.Empty[] reason = new Mailbox.Empty[1];
                byte[] message = mailbox.take(timeoutNanos, reason);
                if (message != null) {
                    result.complete(message);
                } else {
                    result.completeExceptionally(new AssertionError("no message: " + reason[0]));
                }
            }, "mailbox-taker");
            thread.setDaemon(true);
        }

        static Taker start(Mailbox mailbox, long timeoutNanos) {
            Taker taker = new Taker(mailbox, timeoutNanos);
            taker.thread.start();
            return taker;
        }
    }
}
