package io.guardian.pool.internal.transport;

import static io.guardian.pool.internal.transport.Bytes.concat;
import static io.guardian.pool.internal.transport.Bytes.hex;
import static io.guardian.pool.internal.transport.RawHandshake.AUTH_LENGTH;
import static io.guardian.pool.internal.transport.RawHandshake.HELLO_11_LENGTH;
import static io.guardian.pool.internal.transport.RawHandshake.ack11;
import static io.guardian.pool.internal.transport.RawHandshake.authL;
import static io.guardian.pool.internal.transport.RawHandshake.nonce;
import static io.guardian.pool.internal.transport.RawHandshake.now;
import static io.guardian.pool.internal.transport.SpecWire.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One test per rule the dialer enforces (PROTOCOL.md sections 1-3), each against a hostile listener
 * on plain JDK sockets. The honest listener is key A; the dialer is key B.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DialerFailureTest {

    private static final PeerId A = PeerId.fromBytes(hex(TestKeys.A_PEER_ID));
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private NettyConnector connector;

    @BeforeAll
    static void quiet() {
        TestLogging.quiet();
    }

    @BeforeEach
    void createConnector() {
        connector = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE), ProtocolConfig.defaults());
    }

    @AfterEach
    void closeConnector() {
        connector.close();
    }

    @Test
    void listenerAnsweringWithTheOtherVersionFailsWithProtocol() throws Exception {
        assertHandshakeFails(Kind.PROTOCOL_REFUSED, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(SpecWire.helloAck(SpecWire.V10, hex(TestKeys.A_PEER_ID), now(), nonce()));
        });
    }

    @Test
    void listenerAnsweringWithAnUnknownProtocolFailsWithProtocol() throws Exception {
        TransportException failure = assertHandshakeFails(Kind.PROTOCOL_REFUSED, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(SpecWire.helloAck(SpecWire.ascii("guardian-db/9.9"), hex(TestKeys.A_PEER_ID), now(), nonce()));
        });
        assertThat(failure.getMessage()).contains("guardian-db/9.9");
    }

    @Test
    void listenerPresentingAnotherPeerIdFailsWithPeerIdMismatch() throws Exception {
        TransportException failure = assertHandshakeFails(Kind.IDENTITY_MISMATCH, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(SpecWire.helloAck(SpecWire.V11, hex(TestKeys.B_PEER_ID), now(), nonce()));
        });
        assertThat(failure.getMessage()).contains(PeerId.fromBytes(hex(TestKeys.B_PEER_ID)).toBase58());
    }

    @Test
    void impersonatorSigningWithItsOwnKeyFailsWithPeerIdMismatch() throws Exception {
        // Echoes the dialed PeerId in HELLO-ACK (1.0 would accept that) but can only sign as C.
        TransportException failure = assertHandshakeFails(Kind.IDENTITY_MISMATCH, (socket, in, out) -> {
            byte[] hello = read(in, HELLO_11_LENGTH);
            byte[] ack = ack11(now(), nonce());
            out.write(ack);
            byte[] authD = read(in, AUTH_LENGTH);
            out.write(authL(TestKeys.C_PRIVATE, TestKeys.C_PUBLIC, hello, ack, authD));
        });
        assertThat(failure.getMessage()).contains("impersonation");
    }

    @Test
    void impersonatorPresentingTheDialedKeyWithItsOwnSignatureFailsWithBadSignature() throws Exception {
        assertHandshakeFails(Kind.BAD_SIGNATURE, (socket, in, out) -> {
            byte[] hello = read(in, HELLO_11_LENGTH);
            byte[] ack = ack11(now(), nonce());
            out.write(ack);
            byte[] authD = read(in, AUTH_LENGTH);
            out.write(authL(TestKeys.C_PRIVATE, TestKeys.A_PUBLIC, hello, ack, authD));
        });
    }

    @Test
    void authReplayedFromAnEarlierSessionFailsWithBadSignature() throws Exception {
        AtomicReference<byte[]> recordedAck = new AtomicReference<>();
        AtomicReference<byte[]> recordedAuthL = new AtomicReference<>();
        // Session 1: the real A, recorded by an eavesdropper.
        try (RawServer honest = new RawServer((socket, in, out) -> {
            byte[] hello = read(in, HELLO_11_LENGTH);
            byte[] ack = ack11(now(), nonce());
            out.write(ack);
            byte[] authD = read(in, AUTH_LENGTH);
            byte[] auth = authL(TestKeys.A_PRIVATE, TestKeys.A_PUBLIC, hello, ack, authD);
            out.write(auth);
            read(in, 12);
            out.write(SpecWire.OK);
            recordedAck.set(ack);
            recordedAuthL.set(auth);
        })) {
            connector.connect(A, honest.address(), TIMEOUT).get(10, TimeUnit.SECONDS).close("done");
            honest.awaitScript(0);
        }
        // Session 2: the eavesdropper, without A's key, replays A's HELLO-ACK and AUTH-L.
        assertHandshakeFails(Kind.BAD_SIGNATURE, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(recordedAck.get());
            read(in, AUTH_LENGTH);
            out.write(recordedAuthL.get());
        });
    }

    @Test
    void corruptedSignatureFailsWithBadSignature() throws Exception {
        assertHandshakeFails(Kind.BAD_SIGNATURE, (socket, in, out) -> {
            byte[] hello = read(in, HELLO_11_LENGTH);
            byte[] ack = ack11(now(), nonce());
            out.write(ack);
            byte[] authD = read(in, AUTH_LENGTH);
            byte[] auth = authL(TestKeys.A_PRIVATE, TestKeys.A_PUBLIC, hello, ack, authD);
            auth[auth.length - 1] ^= 0x01;
            out.write(auth);
        });
    }

    @Test
    void listenerClockBehindByMoreThanTheSkewFailsWithClockSkew() throws Exception {
        assertHandshakeFails(Kind.CLOCK_SKEW, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(ack11(now() - 301, nonce()));
        });
    }

    @Test
    void listenerClockAheadByMoreThanTheSkewFailsWithClockSkew() throws Exception {
        assertHandshakeFails(Kind.CLOCK_SKEW, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(ack11(now() + 301, nonce()));
        });
    }

    @Test
    void timestampWithTheTopBitSetFailsWithClockSkew() throws Exception {
        assertHandshakeFails(Kind.CLOCK_SKEW, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(ack11(0xFFFF_FFFF_FFFF_FFFFL, nonce()));
        });
    }

    @Test
    void helloAckOfLengthZeroIsMalformed() throws Exception {
        assertHandshakeFails(Kind.PROTOCOL_VIOLATION, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(SpecWire.u16(0));
        });
    }

    @Test
    void helloAckLongerThan1024IsMalformedBeforeItsBodyArrives() throws Exception {
        TransportException failure = assertHandshakeFails(Kind.PROTOCOL_VIOLATION, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(SpecWire.u16(1025));
        });
        assertThat(failure.getMessage()).contains("1025");
    }

    @Test
    void helloAckTooShortForItsPeerIdIsMalformed() throws Exception {
        assertHandshakeFails(Kind.PROTOCOL_VIOLATION, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            byte[] body = concat(SpecWire.V11, java.util.Arrays.copyOf(hex(TestKeys.A_PEER_ID), 5));
            out.write(concat(SpecWire.u16(body.length), body));
        });
    }

    @Test
    void helloAckWithoutItsNonceIsMalformed() throws Exception {
        assertHandshakeFails(Kind.PROTOCOL_VIOLATION, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(ack11(now(), new byte[31]));
        });
    }

    @Test
    void truncatedHelloAckFollowedByCloseFailsWithClosedByPeer() throws Exception {
        assertHandshakeFails(Kind.CLOSED_BY_PEER, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(java.util.Arrays.copyOf(ack11(now(), nonce()), 40));
            out.flush();
            socket.close();
        });
    }

    @Test
    void truncatedAuthThenSilenceFailsWithTimeoutAtTheReadDeadline() throws Exception {
        connector.close();
        connector = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE),
                ProtocolConfig.builder().handshakeTimeout(Duration.ofMillis(300)).build());
        assertHandshakeFails(Kind.HANDSHAKE_TIMED_OUT, (socket, in, out) -> {
            byte[] hello = read(in, HELLO_11_LENGTH);
            byte[] ack = ack11(now(), nonce());
            out.write(ack);
            byte[] authD = read(in, AUTH_LENGTH);
            out.write(java.util.Arrays.copyOf(authL(TestKeys.A_PRIVATE, TestKeys.A_PUBLIC, hello, ack, authD), 50));
            SpecWire.expectClosedWithoutAnswer(in);
        });
    }

    @Test
    void authOfAnotherLengthIsMalformed() throws Exception {
        assertHandshakeFails(Kind.PROTOCOL_VIOLATION, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(ack11(now(), nonce()));
            read(in, AUTH_LENGTH);
            out.write(SpecWire.u16(99));
        });
    }

    @Test
    void confirmationOtherThanHandshakeOkIsMalformed() throws Exception {
        assertHandshakeFails(Kind.PROTOCOL_VIOLATION, (socket, in, out) -> {
            byte[] hello = read(in, HELLO_11_LENGTH);
            byte[] ack = ack11(now(), nonce());
            out.write(ack);
            byte[] authD = read(in, AUTH_LENGTH);
            out.write(authL(TestKeys.A_PRIVATE, TestKeys.A_PUBLIC, hello, ack, authD));
            read(in, 12);
            out.write(SpecWire.ascii("HANDSHAKE_NO"));
        });
    }

    @Test
    void bytesSentOutOfTurnAreMalformed() throws Exception {
        // AUTH-L cannot legitimately follow HELLO-ACK before our AUTH-D.
        assertHandshakeFails(Kind.PROTOCOL_VIOLATION, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(concat(ack11(now(), nonce()), new byte[] {0x00}));
        });
    }

    @Test
    void listenerThatClosesAfterHelloFailsWithClosedByPeer() throws Exception {
        assertHandshakeFails(Kind.CLOSED_BY_PEER, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            socket.close();
        });
    }

    @Test
    void listenerThatClosesAfterAuthFailsWithClosedByPeer() throws Exception {
        assertHandshakeFails(Kind.CLOSED_BY_PEER, (socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(ack11(now(), nonce()));
            read(in, AUTH_LENGTH);
            socket.close();
        });
    }

    @Test
    void listenerThatAcceptsAndNeverAnswersFailsWithTimedOut() throws Exception {
        try (RawServer silent = new RawServer((socket, in, out) -> SpecWire.drainToEof(in))) {
            Throwable failure = failureOf(connector.connect(A, silent.address(), Duration.ofMillis(300)));
            assertKind(failure, Kind.TIMED_OUT)
                    .hasMessageContaining(A.toBase58()).hasMessageContaining(silent.address().toString())
                    .hasMessageContaining("connection-timeout");
            silent.awaitScript(0); // and the socket was closed
        }
    }

    @Test
    void listenerSilentPastTheReadDeadlineFailsWithTimeout() throws Exception {
        connector.close();
        connector = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE),
                ProtocolConfig.builder().handshakeTimeout(Duration.ofMillis(200)).build());
        assertHandshakeFails(Kind.HANDSHAKE_TIMED_OUT, (socket, in, out) -> SpecWire.drainToEof(in));
    }

    @Test
    void refusedConnectionFailsWithRefused() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Multiaddr address = Multiaddr.parse("/ip4/127.0.0.1/tcp/" + port);
        assertKind(failureOf(connector.connect(A, address, TIMEOUT)), Kind.REFUSED)
                .hasMessageContaining(address.toString());
    }

    @Test
    void addressNamingAnotherPeerIsRefusedBeforeDialing() throws Exception {
        try (RawServer server = new RawServer((socket, in, out) -> { })) {
            Multiaddr other = server.address(PeerId.fromBytes(hex(TestKeys.B_PEER_ID)));
            assertKind(failureOf(connector.connect(A, other, TIMEOUT)), Kind.REFUSED).hasMessageContaining("/p2p/");
            assertThat(server.connections()).isZero();
        }
    }

    @Test
    void addressThatIsNotTcpIsRefused() throws Exception {
        Multiaddr udp = Multiaddr.parse("/ip4/127.0.0.1/udp/4001");
        assertKind(failureOf(connector.connect(A, udp, TIMEOUT)), Kind.REFUSED)
                .hasMessageContaining("not a dialable address");
    }

    @Test
    void authenticatedDialOfAPeerIdWithoutEmbeddedKeyIsRefusedClearly() throws Exception {
        PeerId sha256 = PeerId.parse("QmVMT29id3TUASyfZZ6k9hmNyc2nYabCo4uMSpDw4zrgDk");
        Throwable failure = failureOf(connector.connect(sha256, Multiaddr.parse("/ip4/127.0.0.1/tcp/4001"), TIMEOUT));
        assertKind(failure, Kind.UNSUPPORTED_KEY).hasMessageContaining("Ed25519");
        assertThat(((TransportException) failure).retryable()).isFalse();
    }

    @Test
    void cancellingTheDialClosesTheSocket() throws Exception {
        try (RawServer server = new RawServer((socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            SpecWire.expectClosedWithoutAnswer(in);
        })) {
            CompletableFuture<FramedConnection> dial = connector.connect(A, server.address(), TIMEOUT);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 1);
            dial.cancel(true);
            server.awaitScript(0);
        }
    }

    @Test
    void dnsNamesAreResolvedOffTheEventLoop() throws Exception {
        try (RawServer server = new RawServer((socket, in, out) -> RawHandshake.listen11(in, out))) {
            Multiaddr byName = Multiaddr.parse("/dns4/localhost/tcp/" + server.port());
            FramedConnection connection = connector.connect(A, byName, TIMEOUT).get(10, TimeUnit.SECONDS);
            assertThat(connection.isOpen()).isTrue();
            server.awaitScript(0);
        }
    }

    @Test
    void closedConnectorRefusesToDial() {
        connector.close();
        assertThatThrownBy(() -> connector.connect(A, Multiaddr.parse("/ip4/127.0.0.1/tcp/1"), TIMEOUT).join())
                .cause().isInstanceOfSatisfying(TransportException.class,
                        e -> assertThat(e.kind()).isEqualTo(Kind.CLOSED_LOCALLY));
    }

    private TransportException assertHandshakeFails(Kind kind, RawServer.Script listener) throws Exception {
        try (RawServer server = new RawServer(listener)) {
            Throwable failure = failureOf(connector.connect(A, server.address(), TIMEOUT));
            assertThat(failure).isInstanceOf(TransportException.class);
            TransportException handshake = (TransportException) failure;
            assertThat(handshake.kind()).as(handshake.getMessage()).isEqualTo(kind);
            assertThat(handshake.getMessage()).contains(A.toBase58()).contains(server.address().toString());
            server.awaitScript(0);
            return handshake;
        }
    }

    /** The dial failed with the transport's own type, of this kind; the message is left to check. */
    private static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> assertKind(Throwable failure,
            Kind kind) {
        assertThat(failure).isInstanceOf(TransportException.class);
        assertThat(((TransportException) failure).kind()).as(failure.getMessage()).isEqualTo(kind);
        return assertThat(failure);
    }

    static Throwable failureOf(CompletableFuture<?> future) throws Exception {
        try {
            Object value = future.get(10, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + value);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }
}
