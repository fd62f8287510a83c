package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A peer that makes protocol errors at will gets one WARN line per interval, the rest at DEBUG. */
class RateLimitedWarningTest {

    @Test
    void aFloodGivesOneWarnPerIntervalAndCountsTheRest() {
        Logger logger = (Logger) LoggerFactory.getLogger("rate-limited-warning-test");
        logger.setLevel(Level.DEBUG);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        AtomicLong now = new AtomicLong(1_000);
        RateLimitedWarning warning = new RateLimitedWarning(logger, TimeUnit.SECONDS.toNanos(10), now::get);
        try {
            for (int i = 0; i < 500; i++) {
                warning.log("Closing {}: protocol error: {}", "peer-" + i, "bad frame");
                now.addAndGet(TimeUnit.MILLISECONDS.toNanos(10)); // 500 errors over 5 s
            }
            now.addAndGet(TimeUnit.SECONDS.toNanos(6));
            warning.log("Closing {}: protocol error: {}", "peer-late", "bad frame");

            List<String> warns = appender.list.stream().filter(e -> e.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
            assertThat(warns).containsExactly("Closing peer-0: protocol error: bad frame",
                    "Closing peer-late: protocol error: bad frame (499 more like it in the last 10 s logged at DEBUG)");
            assertThat(appender.list.stream().filter(e -> e.getLevel() == Level.DEBUG)).hasSize(499);
        } finally {
            logger.detachAppender(appender);
        }
    }
}
