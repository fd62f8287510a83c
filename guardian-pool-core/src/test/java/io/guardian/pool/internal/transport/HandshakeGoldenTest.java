package io.guardian.pool.internal.transport;

import static io.guardian.pool.internal.transport.Bytes.concat;
import static io.guardian.pool.internal.transport.Bytes.hex;
import static io.guardian.pool.internal.transport.SpecWire.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.PeerSession;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Golden tests: with fixed keys, clock and nonces, every byte each side puts on the wire equals a
 * message written out by hand from PROTOCOL.md below. Signatures are Ed25519 (deterministic), so
 * the expected AUTH messages are computed here with the JDK's own {@code Signature} over the
 * hand-built transcript, not by the code under test.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HandshakeGoldenTest {

    /** 2023-11-14T22:13:20Z = 1 700 000 000 s = 0x6553F100. */
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC);
    private static final String TIMESTAMP = "00 00 00 00 65 53 f1 00";
    /** ASCII "guardian-db/1.1" and "guardian-db/1.0". */
    private static final String PROTOCOL_11 = "67 75 61 72 64 69 61 6e 2d 64 62 2f 31 2e 31";
    private static final String PROTOCOL_10 = "67 75 61 72 64 69 61 6e 2d 64 62 2f 31 2e 30";
    private static final String DIALER_NONCE = "1111111111111111111111111111111111111111111111111111111111111111";
    private static final String LISTENER_NONCE = "2222222222222222222222222222222222222222222222222222222222222222";
    /** ASCII "HANDSHAKE_OK". */
    private static final String HANDSHAKE_OK = "48 41 4e 44 53 48 41 4b 45 5f 4f 4b";

    /** HELLO 1.1 from dialer B to listener A: u16 15, protocol, A's PeerId, timestamp, nonce. */
    private static final byte[] HELLO_11 = hex("00 0f" + PROTOCOL_11 + TestKeys.A_PEER_ID + TIMESTAMP + DIALER_NONCE);
    /** HELLO-ACK 1.1: N = 15 + 38 + 8 + 32 = 93 = 0x5d. */
    private static final byte[] ACK_11 = hex("00 5d" + PROTOCOL_11 + TestKeys.A_PEER_ID + TIMESTAMP + LISTENER_NONCE);
    /** AUTH-D: N = 36 + 64 = 100 = 0x64, B's key, B's signature over "guardian-db/1.1 dialer" || HELLO || HELLO-ACK. */
    private static final byte[] AUTH_D = concat(hex("00 64" + TestKeys.B_PUBLIC), TestKeys.jdkSign(TestKeys.B_PRIVATE,
            concat(SpecWire.ascii("guardian-db/1.1 dialer"), HELLO_11, ACK_11)));
    /** AUTH-L: A's key, A's signature over "guardian-db/1.1 listener" || HELLO || HELLO-ACK || AUTH-D. */
    private static final byte[] AUTH_L = concat(hex("00 64" + TestKeys.A_PUBLIC), TestKeys.jdkSign(TestKeys.A_PRIVATE,
            concat(SpecWire.ascii("guardian-db/1.1 listener"), HELLO_11, ACK_11, AUTH_D)));

    /** HELLO 1.0: no nonce. */
    private static final byte[] HELLO_10 = hex("00 0f" + PROTOCOL_10 + TestKeys.A_PEER_ID + TIMESTAMP);
    /** HELLO-ACK 1.0: N = 15 + 38 + 8 = 61 = 0x3d. */
    private static final byte[] ACK_10 = hex("00 3d" + PROTOCOL_10 + TestKeys.A_PEER_ID + TIMESTAMP);

    /** DATA "hi!": length 4, type 0, payload. */
    private static final byte[] DATA_HI = hex("00 00 00 04 00 68 69 21");
    /** DATA "ok". */
    private static final byte[] DATA_OK = hex("00 00 00 03 00 6f 6b");
    private static final byte[] PING = hex("00 00 00 09 01 01 02 03 04 05 06 07 08");
    private static final byte[] PONG = hex("00 00 00 09 02 01 02 03 04 05 06 07 08");
    /** CLOSE "bye". */
    private static final byte[] CLOSE_BYE = hex("00 00 00 04 03 62 79 65");

    private static final PeerId A = PeerId.parse(TestKeys.A_BASE58);

    @Test
    void peerIdConstantsMatchTheIdentityUnderTest() {
        assertThat(TestKeys.identity(TestKeys.A_PRIVATE).peerId().toBytes()).isEqualTo(hex(TestKeys.A_PEER_ID));
        assertThat(TestKeys.identity(TestKeys.B_PRIVATE).peerId().toBytes()).isEqualTo(hex(TestKeys.B_PEER_ID));
        assertThat(A.toBytes()).isEqualTo(hex(TestKeys.A_PEER_ID));
    }

    @Test
    void dialerWritesEveryGuardianDb11MessageByteForByte() throws Exception {
        try (RawServer listener = new RawServer((socket, in, out) -> {
            assertThat(hex(read(in, HELLO_11.length))).isEqualTo(hex(HELLO_11));
            out.write(ACK_11);
            assertThat(hex(read(in, AUTH_D.length))).isEqualTo(hex(AUTH_D));
            out.write(AUTH_L);
            assertThat(hex(read(in, 12))).isEqualTo(hex(hex(HANDSHAKE_OK)));
            out.write(hex(HANDSHAKE_OK));
            exchangeFramesAsListener(in, out);
        });
                NettyConnector connector = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE),
                        ProtocolConfig.defaults(), CLOCK, new FixedRandom(0x11))) {
            FramedConnection connection = connector.connect(A, listener.address(A), Duration.ofSeconds(10))
                    .get(10, TimeUnit.SECONDS);
            assertThat(connection.remotePeer()).isEqualTo(A);
            assertThat(connection.handshakeRttNanos()).isPositive();
            exchangeFramesAsDialer(connection);
            listener.awaitScript(0);
        }
    }

    @Test
    void dialerWritesEveryGuardianDb10MessageByteForByte() throws Exception {
        try (RawServer listener = new RawServer((socket, in, out) -> {
            assertThat(hex(read(in, HELLO_10.length))).isEqualTo(hex(HELLO_10));
            out.write(ACK_10);
            assertThat(hex(read(in, 12))).isEqualTo(hex(hex(HANDSHAKE_OK)));
            out.write(hex(HANDSHAKE_OK));
            exchangeFramesAsListener(in, out);
        });
                NettyConnector connector = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE),
                        ProtocolConfig.builder().version(ProtocolVersion.V1_0).build(), CLOCK, new FixedRandom(0x11))) {
            FramedConnection connection = connector.connect(A, listener.address(), Duration.ofSeconds(10))
                    .get(10, TimeUnit.SECONDS);
            exchangeFramesAsDialer(connection);
            listener.awaitScript(0);
        }
    }

    @Test
    void dialerOn10IgnoresHelloAckExtensions() throws Exception {
        // N = 61 + 2 extension bytes (0xca 0xfe) = 63 = 0x3f.
        byte[] ackWithExtensions = hex("00 3f" + PROTOCOL_10 + TestKeys.A_PEER_ID + TIMESTAMP + "ca fe");
        try (RawServer listener = new RawServer((socket, in, out) -> {
            read(in, HELLO_10.length);
            out.write(ackWithExtensions);
            assertThat(hex(read(in, 12))).isEqualTo(hex(hex(HANDSHAKE_OK)));
            out.write(hex(HANDSHAKE_OK));
        });
                NettyConnector connector = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE),
                        ProtocolConfig.builder().version(ProtocolVersion.V1_0).build(), CLOCK, new FixedRandom(0x11))) {
            FramedConnection connection = connector.connect(A, listener.address(), Duration.ofSeconds(10))
                    .get(10, TimeUnit.SECONDS);
            assertThat(connection.isOpen()).isTrue();
            listener.awaitScript(0);
        }
    }

    @Test
    void listenerWritesEveryGuardianDb11MessageByteForByte() throws Exception {
        try (PeerListener listener = PeerListener.builder(TestKeys.identity(TestKeys.A_PRIVATE))
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .handler((from, message) -> message)
                .clock(CLOCK)
                .secureRandom(new FixedRandom(0x22))
                .start();
                Socket socket = connect(listener)) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            out.write(HELLO_11);
            assertThat(hex(read(in, ACK_11.length))).isEqualTo(hex(ACK_11));
            out.write(AUTH_D);
            assertThat(hex(read(in, AUTH_L.length))).isEqualTo(hex(AUTH_L));
            out.write(hex(HANDSHAKE_OK));
            assertThat(hex(read(in, 12))).isEqualTo(HANDSHAKE_OK.replace(" ", ""));

            out.write(DATA_HI);
            assertThat(hex(read(in, DATA_HI.length))).isEqualTo(hex(DATA_HI)); // the echo handler's reply
            out.write(PING);
            assertThat(hex(read(in, PONG.length))).isEqualTo(hex(PONG));

            PeerSession session = listener.sessions().get(0);
            assertThat(session.remotePeer()).contains(TestKeys.identity(TestKeys.B_PRIVATE).peerId());
            assertThat(session.protocolVersion()).isEqualTo(ProtocolVersion.V1_1);
            assertThat(session.openedAt()).isEqualTo(CLOCK.instant());
            assertThat(session.bytesReceived()).isEqualTo(3);
            assertThat(session.bytesSent()).isEqualTo(3);

            out.write(CLOSE_BYE);
            SpecWire.expectClosedWithoutAnswer(in);
        }
    }

    @Test
    void listenerWritesEveryGuardianDb10MessageByteForByte() throws Exception {
        try (PeerListener listener = PeerListener.builder(TestKeys.identity(TestKeys.A_PRIVATE))
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .handler((from, message) -> from == null ? message : null)
                .acceptPlainHandshake(true)
                .clock(CLOCK)
                .start();
                Socket socket = connect(listener)) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            out.write(HELLO_10);
            assertThat(hex(read(in, ACK_10.length))).isEqualTo(hex(ACK_10));
            out.write(hex(HANDSHAKE_OK));
            assertThat(hex(read(in, 12))).isEqualTo(HANDSHAKE_OK.replace(" ", ""));
            out.write(DATA_HI);
            assertThat(hex(read(in, DATA_HI.length))).isEqualTo(hex(DATA_HI));
            assertThat(listener.sessions().get(0).remotePeer()).isEmpty();
        }
    }

    @Test
    void codecEncodesTheSameBytesAsTheHandBuiltMessages() {
        PeerId b = PeerId.fromBytes(hex(TestKeys.B_PEER_ID));
        assertThat(HandshakeCodec.hello(ProtocolVersion.V1_1, A, 1_700_000_000L, hex(DIALER_NONCE)))
                .isEqualTo(HELLO_11);
        assertThat(HandshakeCodec.helloAck(ProtocolVersion.V1_1, A, 1_700_000_000L, hex(LISTENER_NONCE)))
                .isEqualTo(ACK_11);
        assertThat(HandshakeCodec.hello(ProtocolVersion.V1_0, A, 1_700_000_000L, null)).isEqualTo(HELLO_10);
        assertThat(HandshakeCodec.helloAck(ProtocolVersion.V1_0, A, 1_700_000_000L, null)).isEqualTo(ACK_10);
        assertThat(HandshakeCodec.dialerTranscript(HELLO_11, ACK_11))
                .isEqualTo(concat(SpecWire.ascii("guardian-db/1.1 dialer"), HELLO_11, ACK_11));
        assertThat(b.isEd25519()).isTrue();
    }

    private static Socket connect(PeerListener listener) throws Exception {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), listener.listenAddress().toSocketAddress().getPort());
        socket.setSoTimeout(5000);
        return socket;
    }

    /** The listener's half of the post-handshake exchange: DATA both ways, PING both ways, CLOSE. */
    private static void exchangeFramesAsListener(InputStream in, OutputStream out) throws Exception {
        assertThat(hex(read(in, DATA_HI.length))).isEqualTo(hex(DATA_HI));
        out.write(DATA_OK);
        byte[] ping = read(in, 13);
        assertThat(hex(java.util.Arrays.copyOf(ping, 5))).isEqualTo("0000000901");
        byte[] pong = ping.clone();
        pong[4] = 0x02;
        out.write(pong);
        out.write(PING);
        assertThat(hex(read(in, PONG.length))).isEqualTo(hex(PONG));
        out.write(CLOSE_BYE);
        out.flush();
    }

    private static void exchangeFramesAsDialer(FramedConnection connection) throws Exception {
        connection.send(SpecWire.ascii("hi!"));
        assertThat(connection.receive(Duration.ofSeconds(5))).isEqualTo(SpecWire.ascii("ok"));
        assertThat(connection.ping(Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS)).isPositive();
        connection.closeFuture().get(5, TimeUnit.SECONDS);
        assertThat(connection.closeReason()).contains("bye");
        assertThat(connection.bytesSent()).isEqualTo(3);
        assertThat(connection.bytesReceived()).isEqualTo(2);
    }
}
