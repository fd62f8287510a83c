package io.guardian.pool.reliability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.LoggerFactory;

/**
 * Captures what the pool, the transport and Netty log while a test runs, instead of printing it
 * (a fuzz run provokes thousands of expected protocol-error warnings). It sorts out the lines that
 * mean something went wrong that no test expects: an exception that is not a plain I/O failure at
 * WARN or above (an "untyped" failure escaping a handler), Netty's "reached the tail of the
 * pipeline" warning (an exception nobody handled), and leak reports.
 *
 * <p>Closing it restores the loggers as they were.
 */
final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {

    /** Lines kept in full by {@link #problems()}; the rest are only counted. */
    private static final int KEEP = 2_000;

    private final int keep;
    private final List<Logger> loggers = new ArrayList<>();
    private final List<Level> levels = new ArrayList<>();
    private final List<Boolean> additivity = new ArrayList<>();
    private final ConcurrentLinkedQueue<String> kept = new ConcurrentLinkedQueue<>();
    private final AtomicInteger keptCount = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> suspicious = new ConcurrentLinkedQueue<>();
    private final Map<String, LongAdder> byLevel = new ConcurrentHashMap<>();

    private LogCapture(int keep) {
        this.keep = keep;
    }

    /**
     * Captures {@code io.guardian} and {@code io.netty} at the levels the test configuration sets
     * (WARN and above from Netty, INFO and above from our code).
     */
    static LogCapture problems() {
        return capture(null, KEEP, "io.guardian", "io.netty");
    }

    /** Captures and keeps every line, down to TRACE, of the given logger names (and their children). */
    static LogCapture everything(String... names) {
        return capture(Level.TRACE, Integer.MAX_VALUE, names);
    }

    private static LogCapture capture(Level level, int keep, String... names) {
        LogCapture capture = new LogCapture(keep);
        capture.setContext((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory());
        capture.setName("reliability-capture");
        capture.start();
        for (String name : names) {
            Logger logger = (Logger) LoggerFactory.getLogger(name);
            capture.loggers.add(logger);
            capture.levels.add(logger.getLevel());
            capture.additivity.add(logger.isAdditive());
            if (level != null) {
                logger.setLevel(level);
            }
            logger.setAdditive(false);
            logger.addAppender(capture);
        }
        return capture;
    }

    @Override
    protected void append(ILoggingEvent event) {
        byLevel.computeIfAbsent(event.getLevel().toString(), k -> new LongAdder()).increment();
        String line = render(event);
        if (keptCount.incrementAndGet() <= keep) {
            kept.add(line);
        }
        if (isSuspicious(event)) {
            suspicious.add(line);
        }
    }

    private static boolean isSuspicious(ILoggingEvent event) {
        if (!event.getLevel().isGreaterOrEqual(Level.WARN)) {
            return false;
        }
        String message = event.getFormattedMessage();
        if (message.contains("LEAK") || message.contains("reached at the tail of the pipeline")
                || message.contains("unexpected error")) {
            return true;
        }
        IThrowableProxy thrown = event.getThrowableProxy();
        return thrown != null && !isIoFailure(thrown);
    }

    /** Socket errors (reset by peer, broken pipe) are the network's doing, not a bug. */
    private static boolean isIoFailure(IThrowableProxy thrown) {
        for (IThrowableProxy t = thrown; t != null; t = t.getCause()) {
            String name = t.getClassName();
            if (name.startsWith("java.io.") || name.startsWith("java.net.")
                    || name.startsWith("io.netty.channel.unix.Errors")) {
                return true;
            }
        }
        return false;
    }

    private static String render(ILoggingEvent event) {
        String line = event.getLevel() + " [" + event.getThreadName() + "] " + event.getLoggerName() + " - "
                + event.getFormattedMessage();
        IThrowableProxy thrown = event.getThrowableProxy();
        return thrown == null ? line : line + "\n" + ThrowableProxyUtil.asString(thrown);
    }

    /** Lines that point at a bug (see the class comment). */
    List<String> suspicious() {
        return new ArrayList<>(suspicious);
    }

    /** The lines captured, every level (only the first {@value #KEEP} for {@link #problems()}). */
    List<String> lines() {
        return new ArrayList<>(kept);
    }

    /** Lines captured per level. */
    Map<String, Long> countByLevel() {
        Map<String, Long> out = new TreeMap<>();
        byLevel.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    @Override
    public void close() {
        for (int i = 0; i < loggers.size(); i++) {
            Logger logger = loggers.get(i);
            logger.detachAppender(this);
            logger.setLevel(levels.get(i));
            logger.setAdditive(additivity.get(i));
        }
        stop();
    }
}
