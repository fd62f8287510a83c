package io.guardian.pool.internal.transport;

import static io.guardian.pool.internal.transport.Bytes.concat;
import static io.guardian.pool.internal.transport.Bytes.hex;
import static io.guardian.pool.internal.transport.SpecWire.read;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.security.SecureRandom;
import java.time.Instant;

/**
 * Honest raw-socket handshakes built from {@link SpecWire}, for tests that need a correct other
 * side before misbehaving (bad frames) or that record a session to replay it. Listener role: key A;
 * dialer role: key B (see {@link TestKeys}).
 */
public final class RawHandshake {

    /** HELLO 1.1 towards A: 2 + 15 + 38 + 8 + 32. */
    public static final int HELLO_11_LENGTH = 95;
    /** HELLO 1.0 towards A: 2 + 15 + 38 + 8. */
    public static final int HELLO_10_LENGTH = 63;
    /** AUTH message: 2 + 36 + 64. */
    public static final int AUTH_LENGTH = 102;
    /** HELLO-ACK 1.1 from A: 2 + 93. */
    public static final int ACK_11_LENGTH = 95;

    private static final SecureRandom RANDOM = new SecureRandom();

    private RawHandshake() {
    }

    public static long now() {
        return Instant.now().getEpochSecond();
    }

    public static byte[] nonce() {
        byte[] nonce = new byte[32];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /** HELLO-ACK from A for 1.1. */
    public static byte[] ack11(long timestamp, byte[] nonce) {
        return SpecWire.helloAck(SpecWire.V11, hex(TestKeys.A_PEER_ID), timestamp, nonce);
    }

    /** AUTH-L carrying {@code keyHex}, signed with {@code signerPrivate}. */
    public static byte[] authL(String signerPrivate, String keyHex, byte[] hello, byte[] ack, byte[] authD) {
        return SpecWire.auth(hex(keyHex), TestKeys.jdkSign(signerPrivate,
                concat(SpecWire.ascii("guardian-db/1.1 listener"), hello, ack, authD)));
    }

    /** AUTH-D carrying {@code keyHex}, signed with {@code signerPrivate}. */
    public static byte[] authD(String signerPrivate, String keyHex, byte[] hello, byte[] ack) {
        return SpecWire.auth(hex(keyHex), TestKeys.jdkSign(signerPrivate,
                concat(SpecWire.ascii("guardian-db/1.1 dialer"), hello, ack)));
    }

    /** HELLO 1.1 from a dialer towards A. */
    public static byte[] hello11(long timestamp, byte[] nonce) {
        return SpecWire.hello(SpecWire.V11, hex(TestKeys.A_PEER_ID), timestamp, nonce);
    }

    /** Plays listener A honestly through both HANDSHAKE_OKs (1.1). */
    public static void listen11(InputStream in, OutputStream out) throws IOException {
        byte[] hello = read(in, HELLO_11_LENGTH);
        byte[] ack = ack11(now(), nonce());
        out.write(ack);
        byte[] authD = read(in, AUTH_LENGTH);
        out.write(authL(TestKeys.A_PRIVATE, TestKeys.A_PUBLIC, hello, ack, authD));
        assertThat(read(in, 12)).isEqualTo(SpecWire.OK);
        out.write(SpecWire.OK);
        out.flush();
    }

    /** Connects to a listener with identity A and plays dialer B honestly through both HANDSHAKE_OKs. */
    public static Socket dial11(int port) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(5000);
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        byte[] hello = hello11(now(), nonce());
        out.write(hello);
        byte[] ack = read(in, ACK_11_LENGTH);
        byte[] authD = authD(TestKeys.B_PRIVATE, TestKeys.B_PUBLIC, hello, ack);
        out.write(authD);
        byte[] authL = read(in, AUTH_LENGTH);
        assertThat(java.util.Arrays.copyOf(authL, 2 + 36)).isEqualTo(concat(SpecWire.u16(100), hex(TestKeys.A_PUBLIC)));
        out.write(SpecWire.OK);
        assertThat(read(in, 12)).isEqualTo(SpecWire.OK);
        return socket;
    }
}
