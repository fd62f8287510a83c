package io.guardian.pool.internal.libp2p;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.internal.libp2p.yamux.YamuxConfig;
import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A lease's stream ({@link StreamMessages}) over real loopback: sends return without waiting for
 * their write, yet what a lease leaves in flight stays bounded and a write that cannot complete
 * fails typed; and a listener whose reply the remote does not take gives up on the stream within
 * its write timeout, though no handler thread waits for that write.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StreamMessagesTest {

    private static final String SILENT = "/test/silent/1.0.0";
    private static final Duration T = Duration.ofSeconds(10);
    private static final Duration WRITE_TIMEOUT = Duration.ofMillis(500);

    private final LeakWatch leaks = new LeakWatch();
    private final ExecutorService handlers = Executors.newCachedThreadPool();
    private final CountDownLatch release = new CountDownLatch(1);
    private PeerIdentity serverId;
    private PeerListener listener;
    private Libp2pDialer dialer;

    @BeforeEach
    void start() {
        serverId = PeerIdentity.generate();
        listener = PeerListener.builder(serverId)
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .handler((from, message) -> Libp2pLoopbackTest.reverse(message))
                .streamHandler(SILENT, stream -> release.await(30, TimeUnit.SECONDS))
                .start();
        Libp2pSettings d = Libp2pSettings.defaults(PeerIdentity.generate());
        Libp2pSettings settings = new Libp2pSettings(d.identity(), d.agentVersion(), YamuxConfig.defaults(),
                d.handshakeTimeout(), WRITE_TIMEOUT, d.selectTimeout(), d.identifyTimeout(), d.maxMessageSize(),
                d.streamIdleTimeout());
        dialer = new Libp2pDialer(new Libp2pNode(settings, handlers, Runnable::run), EventLoops.acquire());
    }

    @AfterEach
    void stop() {
        release.countDown();
        dialer.close();
        listener.close();
        handlers.shutdownNow();
        assertThat(leaks.collectLeaks()).isEmpty();
        leaks.close();
    }

    private Libp2pConnection dial() throws Exception {
        return dialer.dial(serverId.peerId(), listener.listenAddress(), T).get(10, TimeUnit.SECONDS);
    }

    @Test
    void requestsOnOneStreamGetTheirRepliesInOrder() throws Exception {
        Libp2pConnection connection = dial();
        StreamMessages messages = new StreamMessages(connection.openStream(PeerListener.DEFAULT_PROTOCOL), 1 << 20);
        Random random = new Random(17);
        for (int i = 0; i < 200; i++) {
            byte[] request = new byte[random.nextInt(3 * 65_536)];
            random.nextBytes(request);
            messages.send(request);
            assertThat(messages.receive(T)).as("reply %d", i).isEqualTo(Libp2pLoopbackTest.reverse(request));
        }
        messages.end(true);
    }

    @Test
    void aLeaseThatOnlySendsToAPeerThatNeverReadsIsStoppedTypedWithinTheWriteTimeout() throws Exception {
        Libp2pConnection connection = dial();
        StreamMessages messages = new StreamMessages(connection.openStream(SILENT), 1 << 20);
        byte[] chunk = new byte[64 * 1024];
        int sent = 0;
        long started = System.nanoTime();
        Throwable failure = null;
        while (failure == null && sent < 100) {
            failure = catchThrowable(() -> messages.send(chunk));
            if (failure == null) {
                sent++;
            }
        }
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertThat(failure).isInstanceOfSatisfying(TransportException.class,
                e -> assertThat(e.kind()).isEqualTo(Kind.TIMED_OUT));
        // The remote's 256 KiB window takes four, a fifth waits in yamux; the sixth waits for it.
        assertThat(sent).as("messages accepted before the stall was seen").isBetween(4, 6);
        assertThat(tookMillis).isLessThan(WRITE_TIMEOUT.toMillis() + 5_000);
        assertThat(catchThrowable(() -> messages.receive(Duration.ofMillis(100)))).isInstanceOf(TransportException.class);
        messages.end(false);
    }

    @Test
    void aListenerWhoseReplyTheRemoteDoesNotTakeResetsTheStreamWithinItsWriteTimeout() throws Exception {
        Libp2pConnection connection = dial();
        StreamChannel stream = connection.openStream(PeerListener.DEFAULT_PROTOCOL);
        byte[] request = new byte[128 * 1024];
        // Two replies fill our 256 KiB receive window (we never read); the third cannot be written.
        for (int i = 0; i < 3; i++) {
            stream.writeMessage(request);
        }
        long sent = System.nanoTime();
        Duration listenerWriteTimeout = Libp2pSettings.defaults(serverId).writeTimeout();
        await().atMost(listenerWriteTimeout.plusSeconds(10)).until(() -> stream.failure() != null);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        assertThat(stream.failure().kind()).isEqualTo(Kind.RESET);
        assertThat(tookMillis).as("ms until the listener gave up on its reply")
                .isBetween(listenerWriteTimeout.toMillis() - 1_000, listenerWriteTimeout.toMillis() + 5_000);
        stream.reset();
    }
}
