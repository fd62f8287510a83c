package io.guardian.pool.internal.libp2p;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.net.StreamException;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Our libp2p dialer against our own {@link PeerListener} over real loopback sockets: the whole
 * stack (multistream, Noise, yamux, identify, ping, lazy stream select) in both roles. The
 * reference implementations are in the interop suites; this pins our own behaviour, including
 * the failures.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Libp2pLoopbackTest {

    static final String ECHO = "/test/echo/1.0.0";
    static final String RESET = "/test/reset/1.0.0";
    static final Duration T = Duration.ofSeconds(10);

    private final LeakWatch leaks = new LeakWatch();
    private final PipelineTailWatch tail = new PipelineTailWatch();
    private final ExecutorService handlers = Executors.newCachedThreadPool();
    private PeerIdentity serverId;
    private PeerListener listener;
    private Libp2pNode node;
    private Libp2pDialer dialer;

    @BeforeEach
    void start() {
        serverId = PeerIdentity.generate();
        listener = PeerListener.builder(serverId)
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .handler((from, message) -> reverse(message))
                .streamHandler(ECHO, Streams::echo)
                .streamHandler(RESET, stream -> {
                    stream.read(new byte[1], 0, 1, T);
                    throw new IllegalStateException("handler gives up: the stream is reset");
                })
                .start();
        node = new Libp2pNode(Libp2pSettings.defaults(PeerIdentity.generate()), handlers, Runnable::run);
        dialer = new Libp2pDialer(node, EventLoops.acquire());
    }

    @AfterEach
    void stop() {
        dialer.close();
        listener.close();
        handlers.shutdownNow();
        assertThat(leaks.collectLeaks()).isEmpty();
        leaks.close();
        assertThat(tail.unhandled()).as("exceptions or bytes that reached a pipeline's tail").isEmpty();
        tail.close();
    }

    static byte[] reverse(byte[] message) {
        byte[] out = new byte[message.length];
        for (int i = 0; i < message.length; i++) {
            out[i] = message[message.length - 1 - i];
        }
        return out;
    }

    private Libp2pConnection dial() throws Exception {
        return dialer.dial(serverId.peerId(), listener.listenAddress(), T).get(10, TimeUnit.SECONDS);
    }

    @Test
    void dialAuthenticatesTheListenerAndBothSidesIdentify() throws Exception {
        Libp2pConnection connection = dial();
        assertThat(connection.remotePeer()).isEqualTo(serverId.peerId());
        IdentifyInfo theirs = connection.identify().get(10, TimeUnit.SECONDS);
        assertThat(theirs.agentVersion()).startsWith("guardian-pool/");
        assertThat(theirs.protocols()).contains(ECHO, RESET, PeerListener.DEFAULT_PROTOCOL, "/ipfs/id/1.0.0",
                "/ipfs/ping/1.0.0");
        assertThat(theirs.listenAddrs()).containsExactly(listener.listenAddress().withoutPeerId());
        assertThat(theirs.observedAddr()).isNotNull();
        await().atMost(T).until(() -> listener.sessions().stream()
                .anyMatch(s -> s.protocolVersion() == ProtocolVersion.LIBP2P && s.isOpen()));
        assertThat(listener.sessions()).singleElement().satisfies(s ->
                assertThat(s.remotePeer()).contains(node.settings().identity().peerId()));
    }

    @Test
    void pingsWithYamuxAndWithThePingProtocol() throws Exception {
        Libp2pConnection connection = dial();
        assertThat(connection.ping(T).get(10, TimeUnit.SECONDS)).isPositive();
        for (int i = 0; i < 3; i++) {
            assertThat(connection.pingProtocol(T).get(10, TimeUnit.SECONDS)).isPositive();
        }
    }

    @Test
    void messageHandlerAnswersTheDefaultProtocolMessageByMessage() throws Exception {
        try (StreamChannel stream = dial().openStream(PeerListener.DEFAULT_PROTOCOL)) {
            for (int i = 0; i < 5; i++) {
                stream.writeMessage(new byte[] {1, 2, (byte) i});
                assertThat(stream.readMessage(1024, T)).containsExactly(i, 2, 1);
            }
            stream.closeWrite();
            assertThat(stream.readMessage(1024, T)).isNull();
        }
    }

    @Test
    void echoesOneByteSixtyFourKibAndFourMibAcrossTheWindow() throws Exception {
        Libp2pConnection connection = dial();
        Random random = new Random(42);
        for (int size : new int[] {1, 64 * 1024, 4 * 1024 * 1024}) {
            byte[] payload = new byte[size];
            random.nextBytes(payload);
            StreamChannel stream = connection.openStream(ECHO);
            CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> Streams.readAll(stream), handlers);
            stream.write(payload);
            stream.closeWrite();
            assertThat(echoed.get(30, TimeUnit.SECONDS)).isEqualTo(payload);
            stream.close();
        }
        assertThat(connection.bytesSent()).isEqualTo(1 + 64 * 1024 + 4 * 1024 * 1024);
    }

    @Test
    void hundredConcurrentStreamsOnOneConnection() throws Exception {
        Libp2pConnection connection = dial();
        List<CompletableFuture<Boolean>> results = new ArrayList<>();
        ExecutorService callers = Executors.newFixedThreadPool(100);
        try {
            for (int i = 0; i < 100; i++) {
                byte[] payload = new byte[1024];
                new Random(i).nextBytes(payload);
                results.add(CompletableFuture.supplyAsync(() -> {
                    try (StreamChannel stream = connection.openStream(ECHO)) {
                        stream.write(payload);
                        stream.closeWrite();
                        return Arrays.equals(Streams.readAll(stream), payload);
                    }
                }, callers));
            }
            for (CompletableFuture<Boolean> result : results) {
                assertThat(result.get(30, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            callers.shutdownNow();
        }
        await().atMost(T).until(() -> connection.streamCount() <= 1);
    }

    @Test
    void refusedProtocolFailsTheFirstReadNamingIt() throws Exception {
        StreamChannel stream = dial().openStream("/nobody/speaks/this/1.0.0");
        stream.write(new byte[] {1});
        assertThatThrownBy(() -> stream.read(new byte[1], 0, 1, T))
                .isInstanceOfSatisfying(StreamException.class, e ->
                        assertThat(e.reason()).isEqualTo(StreamException.Reason.PROTOCOL_REFUSED))
                .hasMessageContaining("/nobody/speaks/this/1.0.0");
    }

    @Test
    void handlerThatThrowsResetsOnlyItsStream() throws Exception {
        Libp2pConnection connection = dial();
        StreamChannel stream = connection.openStream(RESET);
        stream.write(new byte[] {1});
        assertThatThrownBy(() -> stream.read(new byte[1], 0, 1, T))
                .isInstanceOfSatisfying(StreamException.class, e ->
                        assertThat(e.reason()).isEqualTo(StreamException.Reason.RESET));
        assertThat(connection.isOpen()).isTrue();
        assertThat(connection.pingProtocol(T).get(10, TimeUnit.SECONDS)).isPositive();
    }

    @Test
    void listenerClosingMidStreamFailsTheReaderTyped() throws Exception {
        Libp2pConnection connection = dial();
        StreamChannel stream = connection.openStream(ECHO);
        stream.write(new byte[] {1});
        assertThat(stream.read(new byte[1], 0, 1, T)).isEqualTo(1);
        listener.close();
        assertThatThrownBy(() -> stream.read(new byte[1], 0, 1, T))
                .isInstanceOfSatisfying(StreamException.class, e ->
                        assertThat(e.reason()).isIn(StreamException.Reason.CLOSED, StreamException.Reason.RESET));
        connection.closeFuture().get(10, TimeUnit.SECONDS);
        assertThat(connection.isOpen()).isFalse();
    }

    @Test
    void muxerIsAgreedByMultistreamInsideNoiseWhenTheDialerOffersNoneInline() throws Exception {
        node.offerMuxerInline(false);
        Libp2pConnection connection = dial();
        byte[] payload = new byte[300 * 1024];
        new Random(3).nextBytes(payload);
        StreamChannel stream = connection.openStream(ECHO);
        CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> Streams.readAll(stream), handlers);
        stream.write(payload);
        stream.closeWrite();
        assertThat(echoed.get(30, TimeUnit.SECONDS)).isEqualTo(payload);
        assertThat(connection.identify().get(10, TimeUnit.SECONDS).protocols()).contains(ECHO);
    }

    @Test
    void dialingTheWrongPeerIdFailsWithIdentityMismatch() {
        PeerIdentity other = PeerIdentity.generate();
        CompletableFuture<Libp2pConnection> dial = dialer.dial(other.peerId(),
                listener.listenAddress().withoutPeerId(), T);
        assertThatThrownBy(() -> dial.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(TransportException.class, e ->
                        assertThat(e.kind()).isEqualTo(TransportException.Kind.IDENTITY_MISMATCH));
        await().atMost(T).until(() -> dialer.openChannels() == 0);
    }

    @Test
    void aListenerThatAcceptsAndNeverAnswersRunsTheDialOutOfTime() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Multiaddr address = Multiaddr.parse("/ip4/127.0.0.1/tcp/" + silent.getLocalPort());
            CompletableFuture<Libp2pConnection> dial = dialer.dial(serverId.peerId(), address, Duration.ofMillis(500));
            assertThatThrownBy(() -> dial.get(10, TimeUnit.SECONDS)).cause()
                    .isInstanceOfSatisfying(TransportException.class, e ->
                            assertThat(e.kind()).isEqualTo(TransportException.Kind.TIMED_OUT))
                    .hasMessageContaining("did not complete within");
        }
        await().atMost(T).until(() -> dialer.openChannels() == 0);
    }

    @Test
    void aListenerThatResetsDuringNegotiationIsTypedAndNothingReachesThePipelineTail() throws Exception {
        try (PipelineTailWatch tail = new PipelineTailWatch();
                java.net.ServerSocket resetting = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Multiaddr address = Multiaddr.parse("/ip4/127.0.0.1/tcp/" + resetting.getLocalPort());
            CompletableFuture<Libp2pConnection> dial = dialer.dial(serverId.peerId(), address, T);
            try (java.net.Socket accepted = resetting.accept()) {
                accepted.getInputStream().read(); // the dialer's proposal is on its way: then an RST
                accepted.setSoLinger(true, 0);
            }
            assertThatThrownBy(() -> dial.get(10, TimeUnit.SECONDS)).cause()
                    .isInstanceOfSatisfying(TransportException.class, e ->
                            assertThat(e.kind()).isEqualTo(TransportException.Kind.CLOSED_BY_PEER));
            await().atMost(T).until(() -> dialer.openChannels() == 0);
            assertThat(tail.unhandled()).as("exceptions that reached a pipeline's tail").isEmpty();
        }
    }

    @Test
    void dialingAClosedPortIsRefused() throws Exception {
        Multiaddr address = listener.listenAddress();
        listener.close();
        CompletableFuture<Libp2pConnection> dial = dialer.dial(serverId.peerId(), address, T);
        assertThatThrownBy(() -> dial.get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(TransportException.class, e ->
                        assertThat(e.kind()).isEqualTo(TransportException.Kind.REFUSED));
    }
}
