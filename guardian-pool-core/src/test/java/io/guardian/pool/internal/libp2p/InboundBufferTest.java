package io.guardian.pool.internal.libp2p;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.internal.transport.TransportException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A reader of {@link InboundBuffer} polls briefly before it parks: messages that come during the
 * poll, after it (parked), a FIN or a failure are all seen, and the deadline still holds.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InboundBufferTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private static InboundBuffer buffer(AtomicInteger credited) {
        return new InboundBuffer(UnpooledByteBufAllocator.DEFAULT, credited::addAndGet);
    }

    private static ByteBuf message(byte[] payload) {
        ByteBuf out = Unpooled.buffer();
        LengthPrefixed.write(out, payload, 0, payload.length);
        return out;
    }

    /** Seeded delays from none (inside the poll) to a few milliseconds (the reader has parked). */
    @Test
    void everyMessageIsReadWhetherItCameDuringThePollOrAfterTheReaderParked() throws Exception {
        Random random = new Random(4242);
        AtomicInteger credited = new AtomicInteger();
        InboundBuffer in = buffer(credited);
        for (int i = 0; i < 200; i++) {
            byte[] payload = new byte[1 + random.nextInt(64)];
            random.nextBytes(payload);
            long delayMicros = random.nextInt(4) == 0 ? 0 : random.nextInt(3_000);
            CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
                long until = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(delayMicros);
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                in.deliver(message(payload));
            });
            byte[] read = in.readMessage(1024, System.nanoTime() + 10 * SECOND, "test message");
            assertThat(read).as("message %d after %d us", i, delayMicros).isEqualTo(payload);
            producer.get(10, TimeUnit.SECONDS);
        }
        in.close();
    }

    @Test
    void aFinOrAFailureEndsAWaitingReader() throws Exception {
        InboundBuffer ended = buffer(new AtomicInteger());
        CompletableFuture<byte[]> clean = CompletableFuture.supplyAsync(() -> read(ended, 10 * SECOND));
        ended.remoteClosed();
        assertThat(clean.get(10, TimeUnit.SECONDS)).isNull();

        InboundBuffer failed = buffer(new AtomicInteger());
        CompletableFuture<byte[]> broken = CompletableFuture.supplyAsync(() -> read(failed, 10 * SECOND));
        failed.fail(new TransportException(TransportException.Kind.RESET, "reset by the test"));
        assertThat(broken).failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(Exception.class)
                .withRootCauseInstanceOf(TransportException.class);
    }

    @Test
    void theDeadlineHoldsWithThePoll() {
        InboundBuffer in = buffer(new AtomicInteger());
        long start = System.nanoTime();
        assertThatThrownBy(() -> in.readMessage(1024, start + TimeUnit.MILLISECONDS.toNanos(20), "quiet stream"))
                .isInstanceOf(TransportException.class).hasMessageContaining("timed out");
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
        in.close();
    }

    private static byte[] read(InboundBuffer in, long timeoutNanos) {
        try {
            return in.readMessage(1024, System.nanoTime() + timeoutNanos, "test message");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
