package io.guardian.pool.internal.libp2p;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.internal.libp2p.yamux.YamuxConfig;
import io.guardian.pool.internal.libp2p.yamux.YamuxSession;
import io.guardian.pool.internal.libp2p.yamux.YamuxStream;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.peer.PeerIdentity;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A write a stream makes on its own (its select messages, a negotiation answer) that the socket
 * refuses: the stream is reset and its reader hears of it at once. Before, only the yamux stream
 * was reset, which tells no listener: an identify exchange waiting for the answer kept its stream
 * and the stream's buffer until its 10 s deadline, and for good when the event loops stopped first
 * (the identify-stream buffer leak Netty's detector once reported after a chaos soak).
 */
@Timeout(30)
class StreamChannelWriteFailureTest {

    private EmbeddedChannel channel;

    @AfterEach
    void release() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    /** A connection whose socket has just failed: every write with a promise fails, as Netty fails them. */
    private YamuxSession sessionOnABrokenSocket() {
        channel = new EmbeddedChannel();
        channel.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ReferenceCountUtil.release(msg);
                if (!promise.isVoid()) {
                    promise.setFailure(new IOException("Broken pipe"));
                }
            }
        });
        YamuxSession session = new YamuxSession(true, YamuxConfig.defaults(), s -> false);
        channel.pipeline().addLast(session);
        return session;
    }

    @Test
    void aSelectThatCannotBeWrittenFailsTheStreamForItsReaderAtOnce() {
        YamuxSession session = sessionOnABrokenSocket();
        YamuxStream yamux = session.openStream();
        StreamChannel stream = StreamChannel.outbound(yamux, PeerIdentity.generate().peerId(), channel.eventLoop(),
                channel.alloc(), Duration.ofSeconds(10), IdentifyInfo.PROTOCOL, (s, p) -> { }, new Traffic(),
                YamuxConfig.defaults().maxBufferedOutbound());
        yamux.listener(stream);
        AtomicInteger news = new AtomicInteger();
        stream.onChange(news::incrementAndGet); // as an identify or ping exchange waits
        int before = news.get();

        stream.closeWrite(); // identify's request: the select goes out, then FIN
        channel.runPendingTasks();

        assertThat(yamux.isReset()).isTrue();
        assertThat(stream.failure()).as("the reader's failure").isNotNull();
        assertThat(news.get()).as("the exchange's hook ran on the failure").isGreaterThan(before);
        assertThatThrownBy(() -> stream.pollMessage(1024)).isInstanceOf(TransportException.class);
        assertThat(stream.isOpen()).isFalse();
    }
}
