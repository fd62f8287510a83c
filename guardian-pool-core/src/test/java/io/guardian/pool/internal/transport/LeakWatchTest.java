package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Proves the leak check the fuzz test relies on is not vacuous: a buffer dropped without release
 * is reported by Netty's detector and seen by {@link LeakWatch}.
 */
@Timeout(60)
class LeakWatchTest {

    @Test
    void droppedBufferIsReportedAsALeak() {
        try (LeakWatch watch = new LeakWatch()) {
            leakOneBuffer();
            await().atMost(Duration.ofSeconds(30)).until(() -> !watch.collectLeaks().isEmpty());
            assertThat(watch.leaks()).anySatisfy(message -> assertThat(message).contains("LEAK"));
        }
    }

    private static void leakOneBuffer() {
        ByteBuf leaked = ByteBufAllocator.DEFAULT.directBuffer(16);
        leaked.writeLong(42).touch("deliberately leaked by LeakWatchTest");
    }
}
