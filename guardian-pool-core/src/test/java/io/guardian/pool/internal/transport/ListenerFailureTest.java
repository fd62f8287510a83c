package io.guardian.pool.internal.transport;

import static io.guardian.pool.internal.transport.Bytes.concat;
import static io.guardian.pool.internal.transport.Bytes.hex;
import static io.guardian.pool.internal.transport.RawHandshake.ACK_11_LENGTH;
import static io.guardian.pool.internal.transport.RawHandshake.authD;
import static io.guardian.pool.internal.transport.RawHandshake.hello11;
import static io.guardian.pool.internal.transport.RawHandshake.nonce;
import static io.guardian.pool.internal.transport.RawHandshake.now;
import static io.guardian.pool.internal.transport.SpecWire.expectClosedWithoutAnswer;
import static io.guardian.pool.internal.transport.SpecWire.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One test per rule the listener enforces: whatever the dialer gets wrong, the listener closes the
 * socket without answering (PROTOCOL.md sections 2-3). The hostile dialer is a plain JDK socket.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ListenerFailureTest {

    private PeerListener listener;

    @BeforeAll
    static void quiet() {
        TestLogging.quiet();
    }

    @AfterEach
    void close() {
        if (listener != null) {
            listener.close();
        }
    }

    private PeerListener start(PeerListener.Builder builder) {
        listener = builder.start();
        return listener;
    }

    private static PeerListener.Builder listenerA() {
        return PeerListener.builder(TestKeys.identity(TestKeys.A_PRIVATE))
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .handler((from, message) -> message);
    }

    private Socket connect() throws Exception {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), listener.listenAddress().port());
        socket.setSoTimeout(5000);
        return socket;
    }

    @Test
    void unknownProtocolIsClosedWithoutAnswer() throws Exception {
        start(listenerA());
        try (Socket socket = connect()) {
            socket.getOutputStream().write(SpecWire.hello(SpecWire.ascii("guardian-db/2.0"), hex(TestKeys.A_PEER_ID),
                    now(), nonce()));
            expectClosedWithoutAnswer(socket.getInputStream());
        }
    }

    @Test
    void protocolLengthOtherThan15IsClosedWithoutAnswer() throws Exception {
        start(listenerA());
        try (Socket socket = connect()) {
            socket.getOutputStream().write(SpecWire.hello(SpecWire.ascii("guardian-db/1.1x"), hex(TestKeys.A_PEER_ID),
                    now(), nonce()));
            expectClosedWithoutAnswer(socket.getInputStream());
        }
    }

    @Test
    void plainHelloIsClosedWithoutAnswerWhenAuthenticationIsRequired() throws Exception {
        start(listenerA());
        try (Socket socket = connect()) {
            socket.getOutputStream().write(SpecWire.hello(SpecWire.V10, hex(TestKeys.A_PEER_ID), now(), new byte[0]));
            expectClosedWithoutAnswer(socket.getInputStream());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.failedHandshakes() == 1);
    }

    @Test
    void plainOnlyDialerIsRefusedByAListenerThatRequiresAuthentication() throws Exception {
        start(listenerA());
        try (NettyConnector plain = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE),
                ProtocolConfig.builder().version(ProtocolVersion.V1_0).build())) {
            Throwable failure = DialerFailureTest.failureOf(plain.connect(listener.peerId(), listener.listenAddress(),
                    Duration.ofSeconds(5)));
            assertThat(failure).isInstanceOf(TransportException.class);
            assertThat(((TransportException) failure).kind()).isEqualTo(TransportException.Kind.CLOSED_BY_PEER);
        }
    }

    @Test
    void helloForAnotherPeerIdIsClosedWithoutAnswerOnceWholeNeverAtTheFirstDifferingByte() throws Exception {
        start(listenerA());
        try (Socket socket = connect()) {
            // The start of a foreign PeerId: judging it now would tell how much of a guess was right.
            byte[] hello = SpecWire.hello(SpecWire.V11, hex(TestKeys.B_PEER_ID), now(), nonce());
            socket.getOutputStream().write(java.util.Arrays.copyOf(hello, 2 + 15 + 10));
            socket.setSoTimeout(300);
            assertThatThrownBy(() -> socket.getInputStream().read()).as("still open, still waiting")
                    .isInstanceOf(java.net.SocketTimeoutException.class);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(java.util.Arrays.copyOfRange(hello, 2 + 15 + 10, hello.length));
            expectClosedWithoutAnswer(socket.getInputStream());
        }
    }

    @Test
    void helloWithASkewedClockIsClosedWithoutAnswer() throws Exception {
        start(listenerA());
        try (Socket socket = connect()) {
            socket.getOutputStream().write(hello11(now() - 301, nonce()));
            expectClosedWithoutAnswer(socket.getInputStream());
        }
        try (Socket socket = connect()) {
            socket.getOutputStream().write(hello11(now() + 301, nonce()));
            expectClosedWithoutAnswer(socket.getInputStream());
        }
    }

    @Test
    void helloWithinTheSkewIsAnswered() throws Exception {
        start(listenerA());
        try (Socket socket = connect()) {
            socket.getOutputStream().write(hello11(now() - 250, nonce()));
            assertThat(read(socket.getInputStream(), ACK_11_LENGTH)).startsWith(SpecWire.u16(93));
        }
    }

    @Test
    void badAuthSignatureIsClosedWithoutAuthL() throws Exception {
        start(listenerA());
        try (Socket socket = connect()) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            byte[] hello = hello11(now(), nonce());
            out.write(hello);
            byte[] ack = read(in, ACK_11_LENGTH);
            byte[] auth = authD(TestKeys.B_PRIVATE, TestKeys.B_PUBLIC, hello, ack);
            auth[40] ^= 0x40;
            out.write(auth);
            expectClosedWithoutAnswer(in);
        }
    }

    @Test
    void dialerClaimingAKeyItCannotSignForIsClosedWithoutAuthL() throws Exception {
        start(listenerA());
        try (Socket socket = connect()) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            byte[] hello = hello11(now(), nonce());
            out.write(hello);
            byte[] ack = read(in, ACK_11_LENGTH);
            out.write(authD(TestKeys.C_PRIVATE, TestKeys.B_PUBLIC, hello, ack));
            expectClosedWithoutAnswer(in);
        }
    }

    @Test
    void authReplayedFromAnEarlierSessionIsClosedWithoutAuthL() throws Exception {
        start(listenerA());
        byte[] hello = hello11(now(), nonce());
        byte[] recordedAuth;
        try (Socket socket = connect()) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            out.write(hello);
            byte[] ack = read(in, ACK_11_LENGTH);
            recordedAuth = authD(TestKeys.B_PRIVATE, TestKeys.B_PUBLIC, hello, ack);
            out.write(recordedAuth);
            read(in, RawHandshake.AUTH_LENGTH);
            out.write(SpecWire.OK);
            assertThat(read(in, 12)).isEqualTo(SpecWire.OK);
        }
        // The eavesdropper replays the recorded HELLO and AUTH-D; the listener's fresh nonce defeats it.
        try (Socket socket = connect()) {
            InputStream in = socket.getInputStream();
            socket.getOutputStream().write(hello);
            read(in, ACK_11_LENGTH);
            socket.getOutputStream().write(recordedAuth);
            expectClosedWithoutAnswer(in);
        }
    }

    @Test
    void authOfAnotherLengthIsClosedWithoutAnswer() throws Exception {
        start(listenerA());
        try (Socket socket = connect()) {
            socket.getOutputStream().write(hello11(now(), nonce()));
            read(socket.getInputStream(), ACK_11_LENGTH);
            socket.getOutputStream().write(SpecWire.u16(1024));
            expectClosedWithoutAnswer(socket.getInputStream());
        }
    }

    @Test
    void dialerOutsideTheAllowListIsClosedWithoutAuthL() throws Exception {
        PeerId onlyC = PeerId.fromPublicKey(hex(TestKeys.C_PUBLIC));
        start(listenerA().allowedPeers(Set.of(onlyC)));
        try (Socket socket = connect()) {
            InputStream in = socket.getInputStream();
            byte[] hello = hello11(now(), nonce());
            socket.getOutputStream().write(hello);
            byte[] ack = read(in, ACK_11_LENGTH);
            socket.getOutputStream().write(authD(TestKeys.B_PRIVATE, TestKeys.B_PUBLIC, hello, ack));
            expectClosedWithoutAnswer(in);
        }
    }

    @Test
    void plainHelloIsRefusedWhileAnAllowListIsSetEvenIfPlainIsAccepted() throws Exception {
        PeerId onlyC = PeerId.fromPublicKey(hex(TestKeys.C_PUBLIC));
        start(listenerA().acceptPlainHandshake(true).allowedPeers(Set.of(onlyC)));
        try (Socket socket = connect()) {
            socket.getOutputStream().write(SpecWire.hello(SpecWire.V10, hex(TestKeys.A_PEER_ID), now(), new byte[0]));
            expectClosedWithoutAnswer(socket.getInputStream());
        }
    }

    @Test
    void bytesSentOutOfTurnAreClosedWithoutAnswer() throws Exception {
        start(listenerA());
        try (Socket socket = connect()) {
            socket.getOutputStream().write(concat(hello11(now(), nonce()), new byte[] {0x00, 0x64}));
            expectClosedWithoutAnswer(socket.getInputStream());
        }
    }

    @Test
    void framesPipelinedBeforeOurHandshakeOkAreAProtocolError() throws Exception {
        start(listenerA());
        try (Socket socket = connect()) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            byte[] hello = hello11(now(), nonce());
            out.write(hello);
            byte[] ack = read(in, ACK_11_LENGTH);
            out.write(authD(TestKeys.B_PRIVATE, TestKeys.B_PUBLIC, hello, ack));
            read(in, RawHandshake.AUTH_LENGTH);
            out.write(concat(SpecWire.OK, SpecWire.frame(0, SpecWire.ascii("early"))));
            expectClosedWithoutAnswer(in);
        }
    }

    @Test
    void truncatedHelloFollowedByCloseFreesTheSlot() throws Exception {
        start(listenerA());
        try (Socket socket = connect()) {
            socket.getOutputStream().write(java.util.Arrays.copyOf(hello11(now(), nonce()), 30));
            socket.shutdownOutput();
            expectClosedWithoutAnswer(socket.getInputStream());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.connectionCount() == 0);
    }

    @Test
    void silentDialerIsClosedAtTheHandshakeTimeout() throws Exception {
        start(listenerA().protocol(ProtocolConfig.builder().handshakeTimeout(Duration.ofMillis(300)).build()));
        long start = System.nanoTime();
        try (Socket socket = connect()) {
            expectClosedWithoutAnswer(socket.getInputStream());
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.connectionCount() == 0);
    }

    @Test
    void tricklingDialerIsClosedAtTheHandshakeTimeoutAsAWhole() throws Exception {
        start(listenerA().protocol(ProtocolConfig.builder().handshakeTimeout(Duration.ofMillis(300)).build()));
        try (Socket socket = connect()) {
            byte[] hello = hello11(now(), nonce());
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            // One byte, then a 20 ms read that doubles as the pace and as the close detector.
            socket.setSoTimeout(20);
            int sent = 0;
            boolean closed = false;
            while (sent < hello.length && !closed) {
                try {
                    out.write(hello[sent++]);
                    closed = in.read() == -1;
                } catch (java.net.SocketTimeoutException stillOpen) {
                    closed = false;
                } catch (java.io.IOException reset) {
                    closed = true;
                }
            }
            assertThat(closed).isTrue();
            assertThat(sent).isLessThan(hello.length);
        }
    }
}
