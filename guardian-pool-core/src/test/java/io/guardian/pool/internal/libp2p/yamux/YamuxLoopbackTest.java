package io.guardian.pool.internal.libp2p.yamux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.internal.libp2p.yamux.Wire.Recorder;
import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.TransportException;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two sessions back to back over a real loopback socket on the shared event loops. */
@Timeout(60)
class YamuxLoopbackTest {

    private EventLoops loops;
    private Channel server;
    private Channel client;
    private YamuxSession clientSession;
    private final CompletableFuture<YamuxSession> serverSession = new CompletableFuture<>();

    /** Echoes every byte back and half-closes when the remote does; credit returns once a write is out. */
    private static final class Echo implements StreamListener {
        @Override
        public void onData(YamuxStream s, ByteBuf data) {
            int n = data.readableBytes();
            s.write(data).whenComplete((v, e) -> s.consumed(n));
        }

        @Override
        public void onRemoteClose(YamuxStream s) {
            s.closeWrite();
        }

        @Override
        public void onReset(YamuxStream s, TransportException cause) {
        }
    }

    private void connect(YamuxSession.InboundStreams serverAcceptor) throws Exception {
        loops = EventLoops.acquire();
        server = new ServerBootstrap().group(loops.group()).channel(loops.serverChannelType())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        YamuxSession s = new YamuxSession(false, YamuxConfig.defaults(), serverAcceptor);
                        ch.pipeline().addLast(s);
                        serverSession.complete(s);
                    }
                }).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        clientSession = new YamuxSession(true, YamuxConfig.defaults(), s -> false);
        client = new Bootstrap().group(loops.group()).channel(loops.socketChannelType())
                .handler(clientSession).connect(server.localAddress()).sync().channel();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close().syncUninterruptibly();
        }
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        if (loops != null) {
            loops.release();
        }
    }

    @Test
    void hundredConcurrentStreamsEachEcho64KiB() throws Exception {
        try (LeakWatch watch = new LeakWatch()) {
            connect(s -> {
                s.listener(new Echo());
                return true;
            });
            List<Recorder> recorders = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                YamuxStream s = clientSession.openStream();
                Recorder r = new Recorder(true);
                s.listener(r);
                recorders.add(r);
                byte[] payload = Wire.bytes(64 * 1024, i);
                for (int off = 0; off < payload.length; off += 8 * 1024) {
                    s.write(Unpooled.wrappedBuffer(payload, off, 8 * 1024));
                }
                s.closeWrite();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> recorders.stream().allMatch(r -> r.events.contains("fin")));
            for (int i = 0; i < 100; i++) {
                assertThat(recorders.get(i).bytes()).as("stream %d", i).isEqualTo(Wire.bytes(64 * 1024, i));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> clientSession.streamCount() == 0
                    && serverSession.get().streamCount() == 0);
            client.close().sync();
            assertThat(watch.collectLeaks()).isEmpty();
        }
    }

    @Test
    void fourMebibytesFlowThroughTheDefaultWindow() throws Exception {
        MessageDigest expected = MessageDigest.getInstance("SHA-256");
        MessageDigest actual = MessageDigest.getInstance("SHA-256");
        AtomicLong received = new AtomicLong();
        CompletableFuture<Void> fin = new CompletableFuture<>();
        connect(s -> {
            s.listener(new StreamListener() {
                @Override
                public void onData(YamuxStream st, ByteBuf data) {
                    int n = data.readableBytes();
                    byte[] copy = new byte[n];
                    data.readBytes(copy).release();
                    actual.update(copy);
                    received.addAndGet(n);
                    st.consumed(n);
                }

                @Override
                public void onRemoteClose(YamuxStream st) {
                    fin.complete(null);
                }

                @Override
                public void onReset(YamuxStream st, TransportException cause) {
                    fin.completeExceptionally(cause);
                }
            });
            return true;
        });
        YamuxStream s = clientSession.openStream();
        s.listener(new Recorder(true));
        for (int i = 0; i < 64; i++) {
            byte[] chunk = Wire.bytes(64 * 1024, i);
            expected.update(chunk);
            // Waiting on each write is the back-pressure a blocking caller gets.
            s.write(Unpooled.wrappedBuffer(chunk)).get(10, TimeUnit.SECONDS);
        }
        s.closeWrite();
        fin.get(20, TimeUnit.SECONDS);
        assertThat(received.get()).isEqualTo(4L * 1024 * 1024);
        assertThat(actual.digest()).isEqualTo(expected.digest());
        long rtt = clientSession.ping(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        assertThat(rtt).isPositive();
    }

    @Test
    void closingOneSideResetsTheOthersStreams() throws Exception {
        CompletableFuture<TransportException> reset = new CompletableFuture<>();
        connect(s -> {
            s.listener(new StreamListener() {
                @Override
                public void onData(YamuxStream st, ByteBuf data) {
                    data.release();
                }

                @Override
                public void onRemoteClose(YamuxStream st) {
                }

                @Override
                public void onReset(YamuxStream st, TransportException cause) {
                    reset.complete(cause);
                }
            });
            return true;
        });
        YamuxStream s = clientSession.openStream();
        s.write(Unpooled.wrappedBuffer(new byte[10])).get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> serverSession.get().streamCount() == 1);
        clientSession.close();
        assertThat(reset.get(5, TimeUnit.SECONDS).kind()).isEqualTo(TransportException.Kind.CLOSED_BY_PEER);
        assertThat(serverSession.get().goAwayReceived()).isTrue();
    }
}
