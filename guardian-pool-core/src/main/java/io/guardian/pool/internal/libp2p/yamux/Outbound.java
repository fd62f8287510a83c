package io.guardian.pool.internal.libp2p.yamux;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending half of a {@link YamuxSession}: a round-robin of streams with something to send,
 * served one frame per stream per turn and only while the channel is writable, plus control frames
 * written at once. Confined to the event loop. Not API.
 *
 * <p>Round-robin by frame is what keeps one bulk stream from starving the others: with 16 KiB
 * frames a waiting stream's frame is at most one frame per busy stream away.
 */
final class Outbound {

    private static final Logger LOG = LoggerFactory.getLogger(Outbound.class);

    private final ChannelHandlerContext ctx;
    private final YamuxConfig config;
    private final Runnable onWriteTimeout;
    private final ArrayDeque<YamuxStream> ready = new ArrayDeque<>();
    private boolean draining;
    private boolean flushNeeded;
    private int controlDebt;
    private boolean readPaused;
    private ScheduledFuture<?> writeTimer;

    Outbound(ChannelHandlerContext ctx, YamuxConfig config, Runnable onWriteTimeout) {
        this.ctx = ctx;
        this.config = config;
        this.onWriteTimeout = onWriteTimeout;
    }

    /** Puts a stream with something to send at the end of the round-robin (once). */
    void schedule(YamuxStream stream) {
        if (!stream.scheduled) {
            stream.scheduled = true;
            ready.add(stream);
        }
    }

    /**
     * Writes a session-level frame at once. {@code peerTriggered} frames (replies the remote
     * provoked) count while the channel is unwritable; at {@link YamuxConfig#maxUnwritableControlFrames()}
     * reading stops until it is writable again.
     */
    void writeControl(ByteBuf frame, boolean peerTriggered) {
        ctx.write(frame, ctx.voidPromise());
        flushNeeded = true;
        if (peerTriggered && !ctx.channel().isWritable() && ++controlDebt >= config.maxUnwritableControlFrames()
                && !readPaused) {
            readPaused = true;
            ctx.channel().config().setAutoRead(false);
            LOG.debug("yamux peer on {} provokes replies without reading them; reading paused", ctx.channel());
        }
    }

    /** @return whether decoding must wait for writability */
    boolean readPaused() {
        return readPaused;
    }

    /**
     * Follows the channel's writability: arms the write deadline when it is lost; when it returns,
     * cancels the deadline, forgets the control debt and resumes reading.
     *
     * @return whether reading was paused and should now resume
     */
    boolean writabilityChanged(boolean writable) {
        if (!writable) {
            if (writeTimer == null) {
                writeTimer = ctx.executor().schedule(() -> {
                    writeTimer = null;
                    if (!ctx.channel().isWritable()) {
                        onWriteTimeout.run();
                    }
                }, config.writeTimeout().toNanos(), TimeUnit.NANOSECONDS);
            }
            return false;
        }
        controlDebt = 0;
        cancelTimer();
        if (readPaused) {
            readPaused = false;
            ctx.channel().config().setAutoRead(true);
            return true;
        }
        return false;
    }

    /** Serves the round-robin while the channel is writable, then flushes what was written. */
    void drainAndFlush() {
        if (!draining) {
            draining = true;
            try {
                while (ctx.channel().isWritable() && !ready.isEmpty()) {
                    YamuxStream stream = ready.poll();
                    stream.scheduled = false;
                    if (stream.writeOne(ctx)) {
                        schedule(stream);
                    }
                    flushNeeded = true;
                }
            } finally {
                draining = false;
            }
        }
        flush();
    }

    /** Flushes if anything was written since the last flush. */
    void flush() {
        if (flushNeeded) {
            flushNeeded = false;
            ctx.flush();
        }
    }

    /** Drops the round-robin and the deadline; the session is over. */
    void clear() {
        ready.clear();
        cancelTimer();
    }

    private void cancelTimer() {
        if (writeTimer != null) {
            writeTimer.cancel(false);
            writeTimer = null;
        }
    }
}
