package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The listener's buffered-bytes budget: reservations before allocation, priorities, release on close. */
@Timeout(10)
class MemoryBudgetTest {

    private static final int MIB = 1 << 20;

    @Test
    void holdingsBeyondTheSmallShareFillOnlyHalfTheBudgetWhileSmallOnesMayUseAllOfIt() {
        MemoryBudget budget = new MemoryBudget(8L * MIB);
        List<MemoryBudget.Account> large = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            large.add(budget.open());
        }
        for (int i = 0; i < 4; i++) {
            assertThat(large.get(i).reserve(MIB)).isTrue();
        }
        assertThat(large.get(4).reserve(MIB)).as("a fifth MiB passes the bulk half").isFalse();
        assertThat(budget.refusals()).isEqualTo(1);
        // Small holdings of other connections still fit, up to the whole budget.
        int small = 0;
        while (budget.open().reserve(MemoryBudget.SMALL_SHARE)) {
            small++;
        }
        assertThat(small).isEqualTo((int) (4L * MIB / MemoryBudget.SMALL_SHARE));
        assertThat(budget.used()).isEqualTo(8L * MIB);
        assertThat(budget.peak()).isEqualTo(8L * MIB);
    }

    @Test
    void closingAnAccountGivesEverythingBackAndRefusesAfterwards() {
        MemoryBudget budget = new MemoryBudget(MIB);
        MemoryBudget.Account account = budget.open();
        assertThat(account.reserve(1000)).isTrue();
        assertThat(account.reserve(2000)).isTrue();
        account.release(500);
        assertThat(account.held()).isEqualTo(2500);
        assertThat(budget.used()).isEqualTo(2500);
        account.close();
        assertThat(budget.used()).isZero();
        account.release(2500);
        assertThat(budget.used()).as("a release after close is ignored").isZero();
        assertThat(account.reserve(1)).isFalse();
        account.close();
        assertThat(budget.used()).isZero();
    }

    @Test
    void releasingMoreThanHeldIsCapped() {
        MemoryBudget budget = new MemoryBudget(MIB);
        MemoryBudget.Account account = budget.open();
        account.reserve(10);
        account.release(100);
        assertThat(budget.used()).isZero();
        assertThat(account.held()).isZero();
    }

    @Test
    void concurrentReservationsNeverPassTheLimitAndAllComeBack() throws Exception {
        MemoryBudget budget = new MemoryBudget(4 * MIB);
        ExecutorService threads = Executors.newFixedThreadPool(4);
        CountDownLatch done = new CountDownLatch(4);
        for (int t = 0; t < 4; t++) {
            long seed = 15L + t;
            threads.execute(() -> {
                Random random = new Random(seed);
                MemoryBudget.Account account = budget.open();
                for (int i = 0; i < 20_000; i++) {
                    int n = random.nextInt(256 * 1024);
                    if (account.reserve(n)) {
                        assertThat(budget.used()).isLessThanOrEqualTo(4 * MIB);
                        if (random.nextBoolean()) {
                            account.release(n);
                        }
                    }
                }
                account.close();
                done.countDown();
            });
        }
        assertThat(done.await(8, TimeUnit.SECONDS)).isTrue();
        threads.shutdown();
        assertThat(budget.used()).isZero();
        assertThat(budget.peak()).isLessThanOrEqualTo(4 * MIB);
    }

    @Test
    void theFrameDecoderReservesAFramesPayloadBeforeAllocatingItAndRefusesWhatDoesNotFit() {
        MemoryBudget budget = new MemoryBudget(2 * MIB);
        MemoryBudget.Account account = budget.open();
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(MIB, account));
        try {
            // A 1 MiB DATA frame announced, 10 bytes of it sent: the whole MiB is reserved (half the budget).
            channel.writeInbound(Unpooled.wrappedBuffer(SpecWire.u32(1 + MIB), new byte[] {0}, new byte[10]));
            assertThat(account.held()).isEqualTo(MIB);
            assertThat((Object) channel.readInbound()).isNull();
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[MIB - 10]));
            Frame frame = channel.readInbound();
            assertThat(frame.payload()).hasSize(MIB);
            assertThat(account.held()).as("the reservation travels with the frame").isEqualTo(MIB);
            // A second one no longer fits in the bulk half while the first is held.
            EmbeddedChannel other = new EmbeddedChannel(new FrameDecoder(MIB, budget.open()));
            try {
                other.writeInbound(Unpooled.wrappedBuffer(SpecWire.u32(1 + MIB), new byte[] {0}));
                throw new AssertionError("expected a refusal");
            } catch (FrameDecoder.BudgetExceeded expected) {
                assertThat(expected).hasMessageContaining("1048576 bytes");
            } finally {
                other.finishAndReleaseAll();
            }
            account.release(MIB);
            assertThat(budget.used()).isZero();
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void aFrameCutShortGivesItsReservationBackWhenTheDecoderGoes() {
        MemoryBudget budget = new MemoryBudget(2 * MIB);
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(MIB, budget.open()));
        channel.writeInbound(Unpooled.wrappedBuffer(SpecWire.u32(1 + 1000), new byte[] {0}, new byte[10]));
        assertThat(budget.used()).isEqualTo(1000);
        channel.finishAndReleaseAll();
        assertThat(budget.used()).isZero();
    }
}
