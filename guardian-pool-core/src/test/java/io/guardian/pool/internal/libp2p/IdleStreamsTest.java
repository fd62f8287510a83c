package io.guardian.pool.internal.libp2p;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.MessageChannel;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Parked streams ({@link IdleStreams}) on a real connection to our listener's message handler
 * ({@code MessageStreams}, which serves message after message on one stream): the same stream
 * carries allocation after allocation, and parked streams expire, make room within the stream
 * limit and die with their connection without leaking.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IdleStreamsTest {

    private static final Duration T = Duration.ofSeconds(10);
    private static final String ECHO = PeerListener.DEFAULT_PROTOCOL;
    private static final String OTHER = "/test/other/1.0.0";

    private final LeakWatch leaks = new LeakWatch();
    private final ExecutorService handlers = Executors.newCachedThreadPool();
    private PeerIdentity serverId;
    private PeerListener listener;
    private Libp2pDialer dialer;

    @BeforeEach
    void start() {
        serverId = PeerIdentity.generate();
        listener = PeerListener.builder(serverId)
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .handler((from, message) -> message)
                .handler(OTHER, (from, message) -> message)
                .start();
        dialer = new Libp2pDialer(new Libp2pNode(Libp2pSettings.defaults(PeerIdentity.generate()), handlers,
                Runnable::run), EventLoops.acquire());
    }

    @AfterEach
    void stop() {
        dialer.close();
        listener.close();
        handlers.shutdownNow();
        assertThat(leaks.collectLeaks()).isEmpty();
        leaks.close();
    }

    private PooledLibp2pConnection dial(int streamLimit, Duration maxIdle) throws Exception {
        Libp2pConnection c = dialer.dial(serverId.peerId(), listener.listenAddress(), T).get(10, TimeUnit.SECONDS);
        return new PooledLibp2pConnection(c, streamLimit, 1 << 20, Set.of(ECHO), maxIdle.toNanos());
    }

    private static MessageChannel exchange(PooledLibp2pConnection connection, String protocol, String text) {
        MessageChannel channel = connection.channel(protocol);
        byte[] message = text.getBytes(StandardCharsets.UTF_8);
        channel.send(message);
        assertThat(channel.receive(T)).isEqualTo(message);
        channel.end(true);
        return channel;
    }

    @Test
    void oneStreamCarriesAllocationAfterAllocationOfAMessageHandler() throws Exception {
        PooledLibp2pConnection connection = dial(4, Duration.ofSeconds(60));
        MessageChannel first = exchange(connection, ECHO, "first");
        for (int i = 0; i < 100; i++) {
            assertThat(exchange(connection, ECHO, "again-" + i)).isSameAs(first);
        }
        assertThat(connection.idleStreams()).isEqualTo(1);
        // A protocol not in the set still gets a stream per allocation, and parks nothing.
        assertThat(exchange(connection, OTHER, "other")).isNotSameAs(exchange(connection, OTHER, "other"));
        assertThat(connection.idleStreams()).isEqualTo(1);
        connection.close("test over");
        await().atMost(T).until(() -> connection.idleStreams() == 0);
    }

    @Test
    void anAllocationThatEndsDirtyIsNotParked() throws Exception {
        PooledLibp2pConnection connection = dial(4, Duration.ofSeconds(60));
        MessageChannel unread = connection.channel(ECHO);
        unread.send("unread".getBytes(StandardCharsets.UTF_8));
        unread.end(true); // clean by the caller's account, but a reply is owed: closed, not parked
        assertThat(connection.idleStreams()).isZero();
        MessageChannel reused = exchange(connection, ECHO, "x");
        assertThat(connection.idleStreams()).isEqualTo(1);
        MessageChannel again = connection.channel(ECHO);
        assertThat(again).isSameAs(reused);
        again.end(false);
        assertThat(connection.idleStreams()).isZero();
        assertThat(exchange(connection, ECHO, "fresh")).isNotSameAs(reused);
        connection.close("test over");
    }

    @Test
    void aParkedStreamExpiresAndIsClosed() throws Exception {
        PooledLibp2pConnection connection = dial(4, Duration.ofMillis(100));
        MessageChannel first = exchange(connection, ECHO, "first");
        assertThat(connection.idleStreams()).isEqualTo(1);
        // The sweep closes it on the event loop; no lease has to come by.
        await().atMost(T).until(() -> connection.idleStreams() == 0);
        assertThat(exchange(connection, ECHO, "second")).isNotSameAs(first);
        connection.close("test over");
    }

    @Test
    void aNewStreamMakesRoomWithinTheStreamLimit() throws Exception {
        PooledLibp2pConnection connection = dial(1, Duration.ofSeconds(60));
        MessageChannel parked = exchange(connection, ECHO, "parked");
        assertThat(connection.idleStreams()).isEqualTo(1);
        exchange(connection, OTHER, "needs the room");
        assertThat(connection.idleStreams()).isZero();
        assertThat(exchange(connection, ECHO, "new")).isNotSameAs(parked);
        // The limit is the only stream: parked while nothing is lent.
        assertThat(connection.idleStreams()).isEqualTo(1);
        connection.close("test over");
    }
}
