package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The gate that turns spin-waits off while a neighbour holds the cores, on a hand-driven clock. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SpinGateTest {

    private static final long GAP = TimeUnit.MICROSECONDS.toNanos(200);
    private static final long MIN = TimeUnit.MILLISECONDS.toNanos(SpinGate.MIN_CLOSED_MILLIS);
    private static final long MAX = TimeUnit.MILLISECONDS.toNanos(SpinGate.MAX_CLOSED_MILLIS);

    private final AtomicLong clock = new AtomicLong(-5_000_000_000L); // nanoTime may be negative
    private final SpinGate gate = new SpinGate(clock::get, GAP);

    @Test
    void startsOpenAndShortPausesKeepItOpen() {
        assertThat(gate.isOpen(clock.get())).isTrue();
        assertThat(gate.afterPause(GAP, clock.addAndGet(GAP))).isTrue();
        assertThat(gate.isOpen(clock.get())).isTrue();
        assertThat(gate.closings()).isZero();
    }

    @Test
    void aLongPauseClosesTheGateForTheMinimumThenItReopens() {
        long now = clock.addAndGet(GAP + 1);
        assertThat(gate.afterPause(GAP + 1, now)).isFalse();
        assertThat(gate.closings()).isEqualTo(1);
        assertThat(gate.isOpen(now)).isFalse();
        assertThat(gate.isOpen(now + MIN - 1)).isFalse();
        assertThat(gate.isOpen(now + MIN)).isTrue();
    }

    @Test
    void closingsInQuickSuccessionDoubleUpToTheMaximum() {
        long expected = MIN;
        for (int i = 0; i < 20; i++) {
            long now = clock.get();
            assertThat(gate.afterPause(TimeUnit.MILLISECONDS.toNanos(1), now)).isFalse();
            assertThat(gate.isOpen(now + expected - 1)).isFalse();
            assertThat(gate.isOpen(now + expected)).isTrue();
            clock.set(now + expected); // the next probing spin is held up as soon as the gate reopens
            expected = Math.min(MAX, expected * 2);
        }
        assertThat(gate.nextClosingNanos(clock.get())).isEqualTo(MAX);
        assertThat(gate.closings()).isEqualTo(20);
    }

    @Test
    void aClosingAfterTheGateStayedOpenForTheMaximumStartsAgainAtTheMinimum() {
        for (int i = 0; i < 5; i++) {
            long now = clock.get();
            gate.afterPause(TimeUnit.MILLISECONDS.toNanos(1), now);
            clock.set(now + (MIN << i)); // reopened: 10, 20, 40, 80, 160 ms
        }
        // Open since the last closing ended; a held-up spin within the maximum still doubles ...
        assertThat(gate.nextClosingNanos(clock.get() + MAX - 1)).isEqualTo(Math.min(MAX, MIN << 5));
        // ... and one after a calm second starts over.
        long later = clock.get() + MAX;
        assertThat(gate.nextClosingNanos(later)).isEqualTo(MIN);
        assertThat(gate.afterPause(GAP + 1, later)).isFalse();
        assertThat(gate.isOpen(later + MIN)).isTrue();
    }

    @Test
    void theSharedGateIsBuiltWithItsBoundsInPlace() {
        // Static initialisation order once built SHARED before its bounds were set (closings of 0 ns).
        assertThat(SpinGate.SHARED.nextClosingNanos(SpinGate.SHARED.now())).isBetween(MIN, MAX);
    }
}
