package io.guardian.pool.internal.libp2p.yamux;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.internal.transport.TransportException;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stream opened just before the event loops shut down still tells its reader it ended: a reader
 * set after the loop is gone is told at once that the stream was reset (so a libp2p stream
 * releases its inbound buffer instead of waiting for news no loop can deliver).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class YamuxLoopGoneTest {

    @Test
    void aListenerSetAfterTheLoopIsGoneIsToldTheStreamWasReset() throws Exception {
        DefaultEventLoopGroup group = new DefaultEventLoopGroup(1);
        LocalAddress address = new LocalAddress("yamux-loop-gone");
        Channel server = new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter()).bind(address).sync().channel();
        YamuxSession session = new YamuxSession(true, YamuxConfig.defaults(), s -> false);
        Channel client = new Bootstrap().group(group).channel(LocalChannel.class).handler(session)
                .connect(address).sync().channel();
        YamuxStream stream = session.openStream();

        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        assertThat(client.eventLoop().isShutdown()).isTrue();
        assertThat(server.eventLoop().isShutdown()).isTrue();

        AtomicReference<TransportException> reset = new AtomicReference<>();
        stream.listener(new StreamListener() {
            @Override
            public void onData(YamuxStream s, ByteBuf data) {
                data.release();
            }

            @Override
            public void onRemoteClose(YamuxStream s) {
            }

            @Override
            public void onReset(YamuxStream s, TransportException cause) {
                reset.set(cause);
            }
        });
        assertThat(reset.get()).as("told on the caller's thread, at once").isNotNull();
        assertThat(reset.get().kind()).isEqualTo(TransportException.Kind.CLOSED_LOCALLY);
    }
}
