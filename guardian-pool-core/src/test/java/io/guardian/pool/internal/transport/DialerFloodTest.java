package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.peer.PeerId;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 15, item 4: a listener the pool dials must not be able to grow the pool's heap or burn its
 * CPU by flooding PINGs. The hostile listener is a raw socket that completes an honest 1.1
 * handshake as A and then floods.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(LeakWatch.NoneAfterAll.class)
class DialerFloodTest {

    private static final PeerId A = PeerId.fromBytes(Bytes.hex(TestKeys.A_PEER_ID));
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private NettyConnector connector;

    @BeforeAll
    static void quiet() {
        TestLogging.quiet();
    }

    @BeforeEach
    void start() {
        connector = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE), ProtocolConfig.defaults());
    }

    @AfterEach
    void stop() {
        connector.close();
    }

    @Test
    void aPingFloodIsAnsweredWithinTheBudgetAndTheRestDropped() throws Exception {
        int flood = 5_000;
        long watchNanos = TimeUnit.MILLISECONDS.toNanos(1500);
        CompletableFuture<long[]> seen = new CompletableFuture<>();
        try (RawServer server = new RawServer((socket, in, out) -> {
            RawHandshake.listen11(in, out);
            long start = System.nanoTime();
            out.write(PingFlooder.pings(flood));
            out.flush();
            socket.setSoTimeout(50);
            long bytes = 0;
            while (System.nanoTime() - start < watchNanos) {
                bytes += readSome(in);
            }
            seen.complete(new long[] {bytes, System.nanoTime() - start});
        })) {
            FramedConnection connection = connector.connect(A, server.address(), TIMEOUT).get(10, TimeUnit.SECONDS);
            long[] result = seen.get(10, TimeUnit.SECONDS);
            long pongs = result[0] / PingFlooder.PING_BYTES;
            double seconds = result[1] / 1e9;
            long allowed = PingAnswerBudget.BURST + (long) Math.ceil(ProtocolConfig.DEFAULT_PING_ANSWERS_PER_SECOND * seconds);
            assertThat(result[0] % PingFlooder.PING_BYTES).as("whole PONG frames").isZero();
            assertThat(pongs).as("PONGs for %d PINGs in %.2f s", flood, seconds)
                    .isBetween((long) PingAnswerBudget.BURST, allowed + 1);
            assertThat(connection.isOpen()).as("dropping answers is no reason to close").isTrue();
            connection.close("done");
        }
    }

    @Test
    void theDialerStopsReadingWhileItsWritesCannotDrain() throws Exception {
        AtomicLong written = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        // Never reads again after the handshake: our requests pile up; floods PINGs meanwhile.
        try (RawServer server = new RawServer(PingFlooder.script(stop, written))) {
            FramedConnection connection = connector.connect(A, server.address(), TIMEOUT).get(10, TimeUnit.SECONDS);
            AtomicLong sent = new AtomicLong();
            Thread sender = new Thread(() -> {
                try {
                    for (int i = 0; i < 32; i++) {
                        connection.send(new byte[1 << 20]);
                        sent.incrementAndGet();
                    }
                } catch (RuntimeException stalled) {
                    // Expected once the write stall closes the connection, or at the test's end.
                }
            }, "flood-test-sender");
            sender.setDaemon(true);
            sender.start();
            // A send blocks only while the channel is not writable: once it has been stuck for 750 ms, we are
            // there. From then on we must read nothing, so the flood stops at what the socket buffers hold.
            // (Reading on, this JVM takes the PINGs at a few MB a second under the leak detector.)
            long[] last = {-1, 0};
            await("a send to block").atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(250)).until(() -> {
                long now = sent.get();
                last[1] = now == last[0] ? last[1] + 1 : 0;
                last[0] = now;
                return last[1] >= 3;
            });
            // Reading has been off for 750 ms at least: what was in flight when it stopped has landed.
            long plateau = written.get();
            await("the flood to stay at " + plateau + " bytes for 3 s").during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(4)).until(() -> written.get() == plateau);
            assertThat(plateau).as("a bounded amount, socket buffers included").isLessThan(64L << 20);
            assertThat(connection.isOpen()).as("within the write stall").isTrue();
            stop.set(true);
            connection.close("done");
            sender.join(TimeUnit.SECONDS.toMillis(10));
        }
    }

    private static long readSome(InputStream in) throws IOException {
        byte[] buffer = new byte[4096];
        try {
            int n = in.read(buffer);
            return Math.max(n, 0);
        } catch (SocketTimeoutException idle) {
            return 0;
        }
    }
}
