package io.guardian.pool.internal.libp2p;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * Captures what reaches the end of a Netty pipeline unhandled: an exception ("reached at the tail
 * of the pipeline", WARN) or a message no handler took ("Discarded inbound message", DEBUG, so
 * this lowers that logger to DEBUG while it watches). Either means a wire stack lost track of
 * something a peer sent.
 */
final class PipelineTailWatch implements AutoCloseable {

    private final Logger logger = (Logger) LoggerFactory.getLogger("io.netty.channel.DefaultChannelPipeline");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Level before;

    PipelineTailWatch() {
        before = logger.getLevel();
        logger.setLevel(Level.DEBUG);
        appender.start();
        logger.addAppender(appender);
    }

    /** @return the unhandled exceptions and discarded messages seen so far */
    List<String> unhandled() {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains("tail of the pipeline") || m.contains("Discarded inbound message"))
                .collect(Collectors.toList());
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
        logger.setLevel(before);
    }
}
