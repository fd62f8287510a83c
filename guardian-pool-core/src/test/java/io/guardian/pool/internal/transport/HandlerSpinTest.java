package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.internal.libp2p.Libp2pConnection;
import io.guardian.pool.internal.libp2p.Libp2pDialer;
import io.guardian.pool.internal.libp2p.Libp2pNode;
import io.guardian.pool.internal.libp2p.Libp2pSettings;
import io.guardian.pool.internal.libp2p.StreamChannel;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The listener's own handler threads poll for a connection's (guardian-db) or a stream's (libp2p)
 * next message after answering it (HandlerSpin). A budget far longer than the test proves they
 * give way: to another connection's or stream's queued work, and to a close.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HandlerSpinTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @BeforeAll
    static void quiet() {
        TestLogging.quiet();
    }

    /** A listener whose handler threads would poll for 30 s after each reply, were nothing to stop them. */
    private static PeerListener listenerWithLongSpin() {
        String property = "guardian.transport.handlerSpinMicros";
        String before = System.getProperty(property);
        System.setProperty(property, String.valueOf(TimeUnit.SECONDS.toMicros(30)));
        try {
            return PeerListener.builder(PeerIdentity.generate()).bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                    .handler((from, message) -> message).start();
        } finally {
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        }
    }

    /**
     * More connections (or streams) than the listener's handler threads (at least 2): had a
     * thread kept polling its own connection for the whole 30 s budget, some request would wait
     * for it.
     */
    private static int moreThanTheHandlerThreads() {
        return Math.max(2, Runtime.getRuntime().availableProcessors()) * 2 + 1;
    }

    /** Three rounds of one request on each channel in turn, each answered within 3 s. */
    private static void roundRobin(List<Exchange> channels) throws Exception {
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < channels.size(); i++) {
                byte[] request = ("round " + round + " channel " + i).getBytes(StandardCharsets.UTF_8);
                long start = System.nanoTime();
                assertThat(channels.get(i).exchange(request)).isEqualTo(request);
                assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(3));
            }
        }
    }

    /** One request/reply on a connection or a stream. */
    private interface Exchange {
        byte[] exchange(byte[] request) throws Exception;
    }

    /** Closes {@code listener}, which must take less than 10 s although its threads were told to poll for 30. */
    private static void closeQuickly(PeerListener listener) {
        long closing = System.nanoTime();
        listener.close();
        assertThat(System.nanoTime() - closing).isLessThan(TimeUnit.SECONDS.toNanos(10));
    }

    @Test
    void aPollingHandlerThreadGivesWayToOtherConnectionsAndToAClose() throws Exception {
        PeerListener listener = listenerWithLongSpin();
        List<Exchange> dialed = new ArrayList<>();
        try (NettyConnector connector = new NettyConnector(PeerIdentity.generate(), ProtocolConfig.defaults())) {
            for (int i = 0; i < moreThanTheHandlerThreads(); i++) {
                FramedConnection connection = connector.connect(listener.peerId(), listener.listenAddress(), TIMEOUT)
                        .get(10, TimeUnit.SECONDS);
                dialed.add(request -> {
                    connection.send(request);
                    return connection.receive(TIMEOUT);
                });
            }
            roundRobin(dialed);
            closeQuickly(listener);
        } finally {
            listener.close();
        }
        ThreadWatch.awaitNoGuardianThreads(); // the handler threads ended, none stuck polling
    }

    @Test
    void aPollingHandlerThreadGivesWayToOtherLibp2pStreamsAndToAClose() throws Exception {
        PeerListener listener = listenerWithLongSpin();
        Libp2pDialer dialer = new Libp2pDialer(new Libp2pNode(Libp2pSettings.defaults(PeerIdentity.generate()),
                Runnable::run, Runnable::run), EventLoops.acquire());
        List<Exchange> streams = new ArrayList<>();
        try {
            Libp2pConnection connection = dialer.dial(listener.peerId(), listener.listenAddress(), TIMEOUT)
                    .get(10, TimeUnit.SECONDS);
            for (int i = 0; i < moreThanTheHandlerThreads(); i++) {
                StreamChannel stream = connection.openStream(PeerListener.DEFAULT_PROTOCOL);
                streams.add(request -> {
                    stream.writeMessage(request);
                    return stream.readMessage(1024, TIMEOUT);
                });
            }
            roundRobin(streams);
            closeQuickly(listener);
        } finally {
            dialer.close();
            listener.close();
        }
        ThreadWatch.awaitNoGuardianThreads();
    }
}
