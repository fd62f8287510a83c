package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The token bucket behind PING answers, on a clock the test moves. */
@Timeout(10)
class PingAnswerBudgetTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private int answered(PingAnswerBudget budget, int pings) {
        int ok = 0;
        for (int i = 0; i < pings; i++) {
            if (budget.tryAnswer()) {
                ok++;
            }
        }
        return ok;
    }

    @Test
    void aBurstOf32ThenTheRateThenTheBurstAgainAfterAQuietSpell() {
        PingAnswerBudget budget = new PingAnswerBudget(10, now::get);
        assertThat(answered(budget, 1000)).isEqualTo(32);
        assertThat(budget.dropped()).isEqualTo(968);
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1000));
        assertThat(answered(budget, 1000)).as("one second at 10 a second").isEqualTo(10);
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(99));
        assertThat(answered(budget, 1)).isZero();
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
        assertThat(answered(budget, 1)).isEqualTo(1);
        now.addAndGet(TimeUnit.HOURS.toNanos(1));
        assertThat(answered(budget, 1000)).as("a quiet hour refills the burst, no more").isEqualTo(32);
    }

    @Test
    void anHonestPingerIsAlwaysAnswered() {
        PingAnswerBudget budget = new PingAnswerBudget(10, now::get);
        for (int i = 0; i < 10_000; i++) {
            assertThat(budget.tryAnswer()).isTrue();
            now.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));
        }
        assertThat(budget.dropped()).isZero();
    }

    @Test
    void aRateAboveTheBurstGetsOneSecondsWorthAtOnce() {
        assertThat(answered(new PingAnswerBudget(1000, now::get), 5000)).isEqualTo(1000);
        assertThatThrownBy(() -> new PingAnswerBudget(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
