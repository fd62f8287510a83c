package io.guardian.pool.internal.transport;

import static io.guardian.pool.internal.transport.Bytes.hex;
import static io.guardian.pool.internal.transport.SpecWire.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Frames after the handshake, on both sides, against raw-socket peers: every protocol error closes
 * the connection, and the legitimate oddities (unsolicited PONG, CLOSE that is not UTF-8) do not.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FrameProtocolTest {

    private static final int MAX_FRAME = 1024;
    private static final PeerId A = PeerId.fromBytes(hex(TestKeys.A_PEER_ID));
    private static final ProtocolConfig CONFIG = ProtocolConfig.builder().maxFrameSize(MAX_FRAME).build();

    @BeforeAll
    static void quiet() {
        TestLogging.quiet();
    }

    static Stream<Arguments> protocolErrors() {
        return Stream.of(
                Arguments.of("zero length", hex("00000000")),
                Arguments.of("oversized", SpecWire.frame(0, new byte[MAX_FRAME + 1])),
                Arguments.of("oversized header only", hex("7fffffff00")),
                Arguments.of("unknown type", SpecWire.frame(4, SpecWire.ascii("?"))),
                Arguments.of("type 0xff", SpecWire.frame(0xff, new byte[0])),
                Arguments.of("short PING", SpecWire.frame(1, new byte[7])),
                Arguments.of("long PING", SpecWire.frame(1, new byte[9])),
                Arguments.of("empty PONG", SpecWire.frame(2, new byte[0])));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("protocolErrors")
    void listenerClosesTheConnectionOnAProtocolError(String name, byte[] badFrame) throws Exception {
        try (PeerListener listener = echoListener(); Socket socket = RawHandshake.dial11(listener.listenAddress().port())) {
            await().atMost(Duration.ofSeconds(5)).until(() -> listener.sessions().size() == 1);
            socket.getOutputStream().write(badFrame);
            SpecWire.expectClosedWithoutAnswer(socket.getInputStream());
            await().atMost(Duration.ofSeconds(5)).until(() -> listener.sessions().isEmpty());
            assertThat(listener.protocolErrors()).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("protocolErrors")
    void dialerClosesTheConnectionOnAProtocolError(String name, byte[] badFrame) throws Exception {
        try (RawServer server = new RawServer((socket, in, out) -> {
            RawHandshake.listen11(in, out);
            out.write(SpecWire.frame(0, SpecWire.ascii("before")));
            out.write(badFrame);
            SpecWire.drainToEof(in);
        });
                NettyConnector connector = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE), CONFIG)) {
            FramedConnection connection = connector.connect(A, server.address(), Duration.ofSeconds(5))
                    .get(10, TimeUnit.SECONDS);
            connection.closeFuture().get(5, TimeUnit.SECONDS);
            assertThat(connection.isOpen()).isFalse();
            assertThat(connection.closeReason()).startsWith("protocol error");
            // What arrived before the error is still delivered, then the closure is reported.
            assertThat(connection.receive(Duration.ofSeconds(1))).isEqualTo(SpecWire.ascii("before"));
            assertThatThrownBy(() -> connection.receive(Duration.ofSeconds(1)))
                    .isInstanceOfSatisfying(TransportException.class,
                            e -> assertThat(e.kind()).isEqualTo(TransportException.Kind.PROTOCOL_VIOLATION))
                    .hasMessageContaining("protocol error");
            server.awaitScript(0);
        }
    }

    @Test
    void listenerIgnoresAnUnsolicitedPongAndAcceptsTheLargestFrame() throws Exception {
        try (PeerListener listener = echoListener(); Socket socket = RawHandshake.dial11(listener.listenAddress().port())) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            out.write(SpecWire.frame(2, Bytes.repeat(5, 8)));
            byte[] largest = SpecWire.frame(0, Bytes.repeat(0x5a, MAX_FRAME));
            out.write(largest);
            assertThat(read(in, largest.length)).isEqualTo(largest);
        }
    }

    @Test
    void listenerTreatsACloseThatIsNotUtf8AsAnOrdinaryClose() throws Exception {
        try (PeerListener listener = echoListener(); Socket socket = RawHandshake.dial11(listener.listenAddress().port())) {
            socket.getOutputStream().write(SpecWire.frame(3, hex("c3 28 ff")));
            SpecWire.expectClosedWithoutAnswer(socket.getInputStream());
        }
    }

    @Test
    void dialerIgnoresAnUnsolicitedPongAndAnswersPingsWhileIdle() throws Exception {
        try (RawServer server = new RawServer((socket, in, out) -> {
            RawHandshake.listen11(in, out);
            out.write(SpecWire.frame(2, Bytes.repeat(5, 8)));
            out.write(SpecWire.frame(1, Bytes.repeat(6, 8)));
            assertThat(read(in, 13)).isEqualTo(SpecWire.frame(2, Bytes.repeat(6, 8)));
            out.write(SpecWire.frame(0, SpecWire.ascii("data")));
            SpecWire.drainToEof(in);
        });
                NettyConnector connector = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE), CONFIG)) {
            FramedConnection connection = connector.connect(A, server.address(), Duration.ofSeconds(5))
                    .get(10, TimeUnit.SECONDS);
            assertThat(connection.receive(Duration.ofSeconds(5))).isEqualTo(SpecWire.ascii("data"));
            assertThat(connection.isOpen()).isTrue();
            connection.close("test done");
            server.awaitScript(0);
        }
    }

    @Test
    void unreadDataMakesTheConnectionUnreusableUntilTakenAndACloseEndsItForGood() throws Exception {
        CountDownLatch sendTwo = new CountDownLatch(1);
        try (RawServer server = new RawServer((socket, in, out) -> {
            RawHandshake.listen11(in, out);
            await().atMost(Duration.ofSeconds(5)).until(() -> sendTwo.getCount() == 0);
            out.write(Bytes.concat(SpecWire.frame(0, SpecWire.ascii("one")), SpecWire.frame(0, new byte[0])));
            SpecWire.drainToEof(in);
        });
                NettyConnector connector = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE), CONFIG)) {
            FramedConnection connection = connector.connect(A, server.address(), Duration.ofSeconds(5))
                    .get(10, TimeUnit.SECONDS);
            assertThat(connection.reusable()).isTrue();
            assertThat(connection.hasUnreadData()).isFalse();
            sendTwo.countDown();
            await().atMost(Duration.ofSeconds(5)).until(connection::hasUnreadData);
            assertThat(connection.reusable()).isFalse();
            assertThat(connection.receive(Duration.ofSeconds(5))).isEqualTo(SpecWire.ascii("one"));
            // The empty DATA frame counts as unread too, though it carries no bytes.
            assertThat(connection.reusable()).isFalse();
            assertThat(connection.receive(Duration.ofSeconds(5))).isEmpty();
            assertThat(connection.reusable()).isTrue();
            connection.close("test done");
            assertThat(connection.reusable()).isFalse();
            server.awaitScript(0);
        }
    }

    @Test
    void dialerReportsThePeersCloseReasonEvenWhenItIsNotUtf8() throws Exception {
        try (RawServer server = new RawServer((socket, in, out) -> {
            RawHandshake.listen11(in, out);
            out.write(SpecWire.frame(3, hex("6f 6b ff")));
            socket.close();
        });
                NettyConnector connector = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE), CONFIG)) {
            FramedConnection connection = connector.connect(A, server.address(), Duration.ofSeconds(5))
                    .get(10, TimeUnit.SECONDS);
            connection.closeFuture().get(5, TimeUnit.SECONDS);
            assertThat(connection.closeReason()).startsWith("peer sent CLOSE: ok").contains("not valid UTF-8");
        }
    }

    @Test
    void dialerRefusesToSendMoreThanTheMaximumFrameAndAfterClose() throws Exception {
        try (RawServer server = new RawServer((socket, in, out) -> {
            RawHandshake.listen11(in, out);
            assertThat(SpecWire.drainToEof(in)).isEqualTo(Frame.HEADER + "done".length());
        });
                NettyConnector connector = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE), CONFIG)) {
            FramedConnection connection = connector.connect(A, server.address(), Duration.ofSeconds(5))
                    .get(10, TimeUnit.SECONDS);
            assertThatThrownBy(() -> connection.send(new byte[MAX_FRAME + 1]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max-frame-size");
            connection.close("done");
            assertThatThrownBy(() -> connection.send(new byte[1])).isInstanceOfSatisfying(TransportException.class,
                    e -> assertThat(e.kind()).isEqualTo(TransportException.Kind.CLOSED_LOCALLY));
            server.awaitScript(0); // only the CLOSE frame "done" went out
        }
    }

    @Test
    void receiveTimesOutWithoutClosingAndAnUnansweredPingTimesOut() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (RawServer server = new RawServer((socket, in, out) -> {
            RawHandshake.listen11(in, out);
            read(in, 13); // a PING, never answered
            release.await(10, TimeUnit.SECONDS);
        });
                NettyConnector connector = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE), CONFIG)) {
            FramedConnection connection = connector.connect(A, server.address(), Duration.ofSeconds(5))
                    .get(10, TimeUnit.SECONDS);
            assertThatThrownBy(() -> connection.receive(Duration.ofMillis(50)))
                    .isInstanceOfSatisfying(TransportException.class,
                            e -> assertThat(e.kind()).isEqualTo(TransportException.Kind.TIMED_OUT));
            assertThat(connection.isOpen()).isTrue();
            assertThatThrownBy(() -> connection.ping(Duration.ofMillis(100)).get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOfSatisfying(TransportException.class,
                            e -> assertThat(e.kind()).isEqualTo(TransportException.Kind.TIMED_OUT));
            assertThat(connection.isOpen()).isTrue();
            release.countDown();
            server.awaitScript(0);
        }
    }

    private static PeerListener echoListener() {
        return PeerListener.builder(TestKeys.identity(TestKeys.A_PRIVATE))
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .protocol(CONFIG)
                .handler((from, message) -> message)
                .start();
    }
}
