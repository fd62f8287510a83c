package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.net.ProtocolVersion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A listener handler thread polls for its connection's next message only while the
 * {@link SpinGate} is open: with the gate closed, or closed by a pause of its own, the drain task
 * ends at once and gives the thread back, although its polling budget is far longer than the test.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HandlerSpinGateTest {

    private static final long LONG_SPIN = TimeUnit.SECONDS.toNanos(60);
    private static final long GAP = TimeUnit.MICROSECONDS.toNanos(200);

    private final ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>());
    private final AtomicInteger handled = new AtomicInteger();
    private EmbeddedChannel channel;

    @AfterEach
    void stop() throws InterruptedException {
        executor.shutdownNow();
        assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private void serveWithChannel(SpinGate gate) {
        channel = new EmbeddedChannel();
        HandlerSpin spin = new HandlerSpin(LONG_SPIN, () -> false, gate);
        channel.pipeline().addLast(new InboundSession(channel, null, ProtocolVersion.V1_1, Instant.now(),
                (from, message) -> {
                    handled.incrementAndGet();
                    return null;
                }, executor, 1024, new LongAdder(), spin, 10, MemoryBudget.UNLIMITED.open()));
    }

    @Test
    void aClosedGateEndsTheDrainTaskAsSoonAsTheInboxIsEmpty() {
        AtomicLong clock = new AtomicLong();
        SpinGate gate = new SpinGate(clock::get, GAP);
        gate.afterPause(GAP + 1, clock.get()); // closed; this clock stands still
        serveWithChannel(gate);

        channel.writeInbound(new Frame(Frame.DATA, new byte[] {1}));
        await("the drain task to end").atMost(Duration.ofSeconds(10))
                .until(() -> executor.getCompletedTaskCount() == 1);
        assertThat(handled.get()).isEqualTo(1);
    }

    @Test
    void aHeldUpPollClosesTheGateAndEndsTheDrainTask() {
        AtomicLong clock = new AtomicLong();
        SpinGate gate = new SpinGate(() -> clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(1)), GAP);
        serveWithChannel(gate);

        channel.writeInbound(new Frame(Frame.DATA, new byte[] {1}));
        await("the drain task to end").atMost(Duration.ofSeconds(10))
                .until(() -> executor.getCompletedTaskCount() == 1);
        assertThat(gate.closings()).isEqualTo(1);
        assertThat(handled.get()).isEqualTo(1);
    }

    @Test
    void anOpenGateKeepsTheThreadPollingAndTheNextMessageNeedsNoNewTask() {
        AtomicLong clock = new AtomicLong();
        SpinGate gate = new SpinGate(clock::get, GAP); // no pause ever looks long
        serveWithChannel(gate);

        channel.writeInbound(new Frame(Frame.DATA, new byte[] {1}));
        await("the first message handled").atMost(Duration.ofSeconds(10)).until(() -> handled.get() == 1);
        // Still polling: the task has not ended, and the next message is taken by the same task.
        assertThat(executor.getCompletedTaskCount()).isZero();
        channel.writeInbound(new Frame(Frame.DATA, new byte[] {2}));
        await("the second message handled").atMost(Duration.ofSeconds(10)).until(() -> handled.get() == 2);
        assertThat(executor.getTaskCount()).isEqualTo(1);
        assertThat(gate.closings()).isZero();
        Object leftover = channel.readOutbound();
        assertThat(leftover).isNull();
        ReferenceCountUtil.release(leftover);
    }
}
