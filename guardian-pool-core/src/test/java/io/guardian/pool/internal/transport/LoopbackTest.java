package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.PeerSession;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The real dialer against the real listener over loopback. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoopbackTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private final PeerIdentity dialerIdentity = PeerIdentity.generate();
    private final PeerIdentity listenerIdentity = PeerIdentity.generate();
    private final List<AutoCloseable> resources = new ArrayList<>();

    @BeforeAll
    static void quiet() {
        TestLogging.quiet();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    private PeerListener.Builder listener() {
        return PeerListener.builder(listenerIdentity).bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .handler((from, message) -> concat("re:", message));
    }

    private NettyConnector connector(PeerIdentity identity, ProtocolVersion version) {
        return track(new NettyConnector(identity, ProtocolConfig.builder().version(version).build()));
    }

    private static FramedConnection dial(NettyConnector connector, PeerListener listener) throws Exception {
        return connector.connect(listener.peerId(), listener.listenAddress(), TIMEOUT).get(10, TimeUnit.SECONDS);
    }

    @Test
    void authenticatedHandshakeCarriesDataAndPingsBothWays() throws Exception {
        List<PeerId> senders = new CopyOnWriteArrayList<>();
        PeerListener listener = track(listener().handler((from, message) -> {
            senders.add(from);
            return concat("re:", message);
        }).start());
        FramedConnection connection = dial(connector(dialerIdentity, ProtocolVersion.V1_1), listener);

        assertThat(connection.remotePeer()).isEqualTo(listenerIdentity.peerId());
        assertThat(connection.handshakeRttNanos()).isPositive();
        for (int i = 0; i < 3; i++) {
            connection.send(bytes("hello " + i));
            assertThat(text(connection.receive(TIMEOUT))).isEqualTo("re:hello " + i);
        }
        assertThat(connection.ping(TIMEOUT).get(5, TimeUnit.SECONDS)).isPositive();
        assertThat(senders).containsOnly(dialerIdentity.peerId());
        assertThat(connection.bytesSent()).isEqualTo(3 * 7);
        assertThat(connection.bytesReceived()).isEqualTo(3 * 10);

        PeerSession session = listener.sessions().get(0);
        assertThat(session.remotePeer()).contains(dialerIdentity.peerId());
        assertThat(session.protocolVersion()).isEqualTo(ProtocolVersion.V1_1);
        assertThat(session.bytesReceived()).isEqualTo(21);
        assertThat(session.bytesSent()).isEqualTo(30);
        assertThat(session.remoteAddress().getAddress().isLoopbackAddress()).isTrue();
        assertThat(listener.connectionCount()).isEqualTo(1);
    }

    @Test
    void byteCountersAreExactAndMonotonicForAReaderOnAnotherThread() throws Exception {
        PeerListener listener = track(listener().handler((from, message) -> message).start());
        FramedConnection connection = dial(connector(dialerIdentity, ProtocolVersion.V1_1), listener);
        int rounds = 300;
        byte[] payload = new byte[100];
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger wentBack = new AtomicInteger();
        AtomicInteger reads = new AtomicInteger();
        // The pool reads the counters at release and in health passes, on threads other than the
        // writers (the lease holder for bytesSent, the event loop for bytesReceived).
        Thread reader = new Thread(() -> {
            long lastSent = 0;
            long lastReceived = 0;
            while (!done.get()) {
                long sent = connection.bytesSent();
                long received = connection.bytesReceived();
                if (sent < lastSent || received < lastReceived || sent % payload.length != 0
                        || received % payload.length != 0) {
                    wentBack.incrementAndGet();
                }
                lastSent = sent;
                lastReceived = received;
                reads.incrementAndGet();
                Thread.onSpinWait();
            }
        }, "counter-reader");
        reader.start();
        try {
            for (int i = 0; i < rounds; i++) {
                connection.send(payload);
                assertThat(connection.receive(TIMEOUT)).hasSize(payload.length);
            }
        } finally {
            done.set(true);
            reader.join(TimeUnit.SECONDS.toMillis(10));
        }

        assertThat(reads.get()).isPositive();
        assertThat(wentBack.get()).as("reads that saw a counter go back or a partial update").isZero();
        assertThat(connection.bytesSent()).isEqualTo((long) rounds * payload.length);
        assertThat(connection.bytesReceived()).isEqualTo((long) rounds * payload.length);
    }

    @Test
    void plainHandshakeWorksWhenTheListenerAllowsIt() throws Exception {
        List<PeerId> senders = new CopyOnWriteArrayList<>();
        PeerListener listener = track(listener().acceptPlainHandshake(true).handler((from, message) -> {
            senders.add(from);
            return message;
        }).start());
        FramedConnection connection = dial(connector(dialerIdentity, ProtocolVersion.V1_0), listener);
        connection.send(bytes("plain"));
        assertThat(text(connection.receive(TIMEOUT))).isEqualTo("plain");
        assertThat(connection.ping(TIMEOUT).get(5, TimeUnit.SECONDS)).isPositive();
        assertThat(senders).containsExactly((PeerId) null);
        assertThat(listener.sessions().get(0).remotePeer()).isEmpty();
        assertThat(listener.sessions().get(0).protocolVersion()).isEqualTo(ProtocolVersion.V1_0);
    }

    @Test
    void listenerAnswersPingsWhileTheHandlerIsBusy() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        PeerListener listener = track(listener().handler((from, message) -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return message;
        }).start());
        FramedConnection connection = dial(connector(dialerIdentity, ProtocolVersion.V1_1), listener);
        connection.send(bytes("slow"));
        assertThat(connection.ping(TIMEOUT).get(5, TimeUnit.SECONDS)).isPositive();
        assertThat(release.getCount()).isEqualTo(1); // the handler is still blocked
        release.countDown();
        assertThat(text(connection.receive(TIMEOUT))).isEqualTo("slow");
    }

    @Test
    void handlerSeesEachConnectionsMessagesOneAtATimeInOrder() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        PeerListener listener = track(listener().handler((from, message) -> {
            if (running.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
            running.decrementAndGet();
            return message;
        }).start());
        FramedConnection connection = dial(connector(dialerIdentity, ProtocolVersion.V1_1), listener);
        int count = 300; // more than the 64 that pause reading, so back-pressure is exercised too
        for (int i = 0; i < count; i++) {
            connection.send(ByteBuffer.allocate(4).putInt(i).array());
        }
        for (int i = 0; i < count; i++) {
            assertThat(ByteBuffer.wrap(connection.receive(TIMEOUT)).getInt()).isEqualTo(i);
        }
        assertThat(overlaps).hasValue(0);
    }

    @Test
    void nullReplySendsNothing() throws Exception {
        PeerListener listener = track(listener().handler((from, message) -> text(message).equals("quiet") ? null
                : message).start());
        FramedConnection connection = dial(connector(dialerIdentity, ProtocolVersion.V1_1), listener);
        connection.send(bytes("quiet"));
        connection.send(bytes("loud"));
        assertThat(text(connection.receive(TIMEOUT))).isEqualTo("loud");
    }

    @Test
    void failingHandlerClosesTheConnectionSoTheDialerDoesNotWait() throws Exception {
        PeerListener listener = track(listener().handler((from, message) -> {
            throw new IllegalStateException("boom");
        }).start());
        FramedConnection connection = dial(connector(dialerIdentity, ProtocolVersion.V1_1), listener);
        connection.send(bytes("x"));
        assertThatThrownBy(() -> connection.receive(TIMEOUT)).isInstanceOfSatisfying(TransportException.class,
                e -> assertThat(e.kind()).isEqualTo(Kind.CLOSED_BY_PEER)).hasMessageContaining("handler error");
    }

    @Test
    void listenerRefusesConnectionsBeyondItsTotalCap() throws Exception {
        PeerListener listener = track(listener().maxInboundConnections(2).start());
        NettyConnector connector = connector(dialerIdentity, ProtocolVersion.V1_1);
        dial(connector, listener);
        dial(connector, listener);
        assertHandshakeFails(connector, listener, Kind.CLOSED_BY_PEER);
        assertThat(listener.refusedConnections()).isEqualTo(1);
        assertThat(listener.connectionCount()).isEqualTo(2);
    }

    @Test
    void listenerRefusesAPeerBeyondItsPerPeerCapButNotOthers() throws Exception {
        PeerListener listener = track(listener().maxInboundPerPeer(1).start());
        NettyConnector first = connector(dialerIdentity, ProtocolVersion.V1_1);
        dial(first, listener);
        assertHandshakeFails(first, listener, Kind.CLOSED_BY_PEER);
        FramedConnection other = dial(connector(PeerIdentity.generate(), ProtocolVersion.V1_1), listener);
        assertThat(other.isOpen()).isTrue();
    }

    @Test
    void listenerRefusesHandshakesBeyondThePendingCap() throws Exception {
        PeerListener listener = track(listener().maxPendingHandshakes(1).start());
        NettyConnector connector = connector(dialerIdentity, ProtocolVersion.V1_1);
        try (java.net.Socket squatter = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(),
                listener.listenAddress().port())) {
            assertThat(squatter.isConnected()).isTrue(); // connected, says nothing: holds the only slot
            await().atMost(TIMEOUT).until(() -> listener.connectionCount() == 1);
            assertHandshakeFails(connector, listener, Kind.CLOSED_BY_PEER);
        }
        await().atMost(TIMEOUT).until(() -> listener.connectionCount() == 0);
        assertThat(dial(connector, listener).isOpen()).isTrue();
    }

    @Test
    void allowListAdmitsOnlyTheNamedDialers() throws Exception {
        PeerListener listener = track(listener().allowedPeers(Set.of(dialerIdentity.peerId())).start());
        assertThat(dial(connector(dialerIdentity, ProtocolVersion.V1_1), listener).isOpen()).isTrue();
        assertHandshakeFails(connector(PeerIdentity.generate(), ProtocolVersion.V1_1), listener, Kind.CLOSED_BY_PEER);
    }

    @Test
    void dialingTheWrongPeerIdAtARealListenerFails() throws Exception {
        PeerListener listener = track(listener().start());
        NettyConnector connector = connector(dialerIdentity, ProtocolVersion.V1_1);
        PeerId stranger = PeerIdentity.generate().peerId();
        Throwable failure = DialerFailureTest.failureOf(connector.connect(stranger,
                listener.listenAddress().withoutPeerId(), TIMEOUT));
        assertThat(((TransportException) failure).kind()).isEqualTo(Kind.CLOSED_BY_PEER);
    }

    @Test
    void listenerCanBeRestartedOnTheSamePortWithTheSameIdentity() throws Exception {
        NettyConnector connector = connector(dialerIdentity, ProtocolVersion.V1_1);
        PeerListener first = listener().start();
        Multiaddr address = first.listenAddress();
        FramedConnection connection = dial(connector, first);
        first.close();
        connection.closeFuture().get(5, TimeUnit.SECONDS);
        assertThat(connection.closeReason()).contains("listener shutting down");

        PeerListener second = track(listener().bind(address.withoutPeerId()).start());
        assertThat(second.listenAddress()).isEqualTo(address);
        FramedConnection again = dial(connector, second);
        again.send(bytes("back"));
        assertThat(text(again.receive(TIMEOUT))).isEqualTo("re:back");
    }

    @Test
    void closingTheListenerIsIdempotentAndClosesEverything() throws Exception {
        PeerListener listener = listener().start();
        FramedConnection connection = dial(connector(dialerIdentity, ProtocolVersion.V1_1), listener);
        listener.close();
        listener.close();
        assertThat(listener.isOpen()).isFalse();
        connection.closeFuture().get(5, TimeUnit.SECONDS);
        await().atMost(TIMEOUT).until(() -> listener.connectionCount() == 0);
        assertThat(listener.sessions()).isEmpty();
    }

    @Test
    void closingTheConnectorClosesItsConnections() throws Exception {
        PeerListener listener = track(listener().start());
        NettyConnector connector = new NettyConnector(dialerIdentity, ProtocolConfig.defaults());
        FramedConnection connection = dial(connector, listener);
        await().atMost(TIMEOUT).until(() -> listener.sessions().size() == 1);
        connector.close();
        connection.closeFuture().get(5, TimeUnit.SECONDS);
        assertThat(connection.closeReason()).contains("dialer shutting down");
        await().atMost(TIMEOUT).until(() -> listener.sessions().isEmpty());
    }

    @Test
    void sessionCloseSendsCloseToTheDialer() throws Exception {
        PeerListener listener = track(listener().start());
        FramedConnection connection = dial(connector(dialerIdentity, ProtocolVersion.V1_1), listener);
        await().atMost(TIMEOUT).until(() -> listener.sessions().size() == 1);
        listener.sessions().get(0).close();
        connection.closeFuture().get(5, TimeUnit.SECONDS);
        assertThat(connection.closeReason()).isEqualTo("peer sent CLOSE: closed by listener");
    }

    private void assertHandshakeFails(NettyConnector connector, PeerListener listener, Kind kind) throws Exception {
        Throwable failure = DialerFailureTest.failureOf(connector.connect(listener.peerId(), listener.listenAddress(),
                TIMEOUT));
        assertThat(failure).isInstanceOf(TransportException.class);
        assertThat(((TransportException) failure).kind()).isEqualTo(kind);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] concat(String prefix, byte[] message) {
        return Bytes.concat(bytes(prefix), message);
    }
}
