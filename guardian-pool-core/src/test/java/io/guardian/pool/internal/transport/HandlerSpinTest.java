package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

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
 * The listener's own handler threads poll for a connection's next message after answering it
 * (InboundSession.Spin). A budget far longer than the test proves they give way: to another
 * connection's queued work, and to a close.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HandlerSpinTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @BeforeAll
    static void quiet() {
        TestLogging.quiet();
    }

    @Test
    void aPollingHandlerThreadGivesWayToOtherConnectionsAndToAClose() throws Exception {
        String property = "guardian.transport.handlerSpinMicros";
        String before = System.getProperty(property);
        System.setProperty(property, String.valueOf(TimeUnit.SECONDS.toMicros(30)));
        PeerListener listener;
        try {
            listener = PeerListener.builder(PeerIdentity.generate()).bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                    .handler((from, message) -> message).start();
        } finally {
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        }
        // More connections than the listener's handler threads (at least 2): had a thread kept
        // polling its own connection for the whole 30 s budget, some request below would wait for it.
        int connections = Math.max(2, Runtime.getRuntime().availableProcessors()) * 2 + 1;
        List<FramedConnection> dialed = new ArrayList<>();
        try (NettyConnector connector = new NettyConnector(PeerIdentity.generate(), ProtocolConfig.defaults())) {
            for (int i = 0; i < connections; i++) {
                dialed.add(connector.connect(listener.peerId(), listener.listenAddress(), TIMEOUT)
                        .get(10, TimeUnit.SECONDS));
            }
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < connections; i++) {
                    byte[] request = ("round " + round + " connection " + i).getBytes(StandardCharsets.UTF_8);
                    long start = System.nanoTime();
                    dialed.get(i).send(request);
                    assertThat(dialed.get(i).receive(TIMEOUT)).isEqualTo(request);
                    assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(3));
                }
            }
            long closing = System.nanoTime();
            listener.close();
            assertThat(System.nanoTime() - closing).isLessThan(TimeUnit.SECONDS.toNanos(10));
        } finally {
            listener.close();
        }
        ThreadWatch.awaitNoGuardianThreads(); // the handler threads ended, none stuck polling
    }
}
