package io.guardian.pool.internal.transport;

import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Captures what Netty's leak detector (PARANOID in tests, see the parent pom's argLine) reports.
 * A leak is only reported once the leaked buffer has been garbage collected and a later
 * allocation polls the detector's queue, so {@link #collectLeaks()} forces both, several rounds.
 */
public final class LeakWatch implements AutoCloseable {

    private final Logger logger = (Logger) LoggerFactory.getLogger("io.netty.util.ResourceLeakDetector");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    public LeakWatch() {
        appender.start();
        logger.addAppender(appender);
    }

    /** Runs GC and fresh allocations until the detector has had its chance, then lists what it reported. */
    public List<String> collectLeaks() {
        AtomicInteger rounds = new AtomicInteger();
        await("GC rounds for the leak detector").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    System.gc();
                    for (int i = 0; i < 64; i++) {
                        ByteBuf direct = ByteBufAllocator.DEFAULT.directBuffer(32);
                        direct.release();
                        ByteBuf heap = ByteBufAllocator.DEFAULT.heapBuffer(32);
                        heap.release();
                    }
                    return rounds.incrementAndGet() >= 10;
                });
        return leaks();
    }

    /** The leak reports captured so far. */
    public List<String> leaks() {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("LEAK"))
                .collect(Collectors.toList());
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }

    /**
     * For {@code @ExtendWith}: watches the whole test class and fails it if Netty reported a leak
     * once all its tests ran.
     */
    public static final class NoneAfterAll implements BeforeAllCallback, AfterAllCallback {
        private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoneAfterAll.class);

        @Override
        public void beforeAll(ExtensionContext context) {
            context.getStore(NS).put("watch", new LeakWatch());
        }

        @Override
        public void afterAll(ExtensionContext context) {
            LeakWatch watch = context.getStore(NS).remove("watch", LeakWatch.class);
            try {
                List<String> leaks = watch.collectLeaks();
                if (!leaks.isEmpty()) {
                    throw new AssertionError("Netty reported leaks: " + leaks);
                }
            } finally {
                watch.close();
            }
        }
    }
}
