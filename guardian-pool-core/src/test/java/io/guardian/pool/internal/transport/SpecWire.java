package io.guardian.pool.internal.transport;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * PROTOCOL.md messages built field by field, independently of the code under test, for the raw-socket
 * (hostile or scripted) side of the tests; plus blocking read helpers.
 */
public final class SpecWire {

    public static final byte[] V10 = ascii("guardian-db/1.0");
    public static final byte[] V11 = ascii("guardian-db/1.1");
    public static final byte[] OK = ascii("HANDSHAKE_OK");

    private SpecWire() {
    }

    public static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    public static byte[] u16(int value) {
        return new byte[] {(byte) (value >>> 8), (byte) value};
    }

    public static byte[] u32(long value) {
        return ByteBuffer.allocate(4).putInt((int) value).array();
    }

    public static byte[] u64(long value) {
        return ByteBuffer.allocate(8).putLong(value).array();
    }

    /** HELLO: u16 length, protocol, target PeerId bytes, u64 timestamp, nonce (empty for 1.0). */
    public static byte[] hello(byte[] protocol, byte[] target, long timestamp, byte[] nonce) {
        return Bytes.concat(u16(protocol.length), protocol, target, u64(timestamp), nonce);
    }

    /** HELLO-ACK: u16 N, protocol, listener PeerId bytes, u64 timestamp, extensions. */
    public static byte[] helloAck(byte[] protocol, byte[] listener, long timestamp, byte[] extensions) {
        byte[] body = Bytes.concat(protocol, listener, u64(timestamp), extensions);
        return Bytes.concat(u16(body.length), body);
    }

    /** AUTH: u16 N, key protobuf, signature. */
    public static byte[] auth(byte[] key, byte[] signature) {
        return Bytes.concat(u16(key.length + signature.length), key, signature);
    }

    /** A frame: u32 (1 + payload), type, payload. */
    public static byte[] frame(int type, byte[] payload) {
        return Bytes.concat(u32(1L + payload.length), new byte[] {(byte) type}, payload);
    }

    /** Reads exactly {@code n} bytes (the socket's SO_TIMEOUT bounds the wait). */
    public static byte[] read(InputStream in, int n) throws IOException {
        byte[] out = new byte[n];
        new DataInputStream(in).readFully(out);
        return out;
    }

    /** Reads a u16-prefixed message, prefix included. */
    public static byte[] readPrefixed(InputStream in) throws IOException {
        byte[] prefix = read(in, 2);
        int n = ((prefix[0] & 0xff) << 8) | (prefix[1] & 0xff);
        return Bytes.concat(prefix, read(in, n));
    }

    /**
     * Whether the other side closed the connection (EOF or reset) without sending anything more,
     * within the socket's SO_TIMEOUT.
     *
     * @throws AssertionError if bytes arrive, or nothing happens in time
     */
    public static void expectClosedWithoutAnswer(InputStream in) throws IOException {
        int b;
        try {
            b = in.read();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the connection stayed open", e);
        } catch (SocketException reset) {
            return;
        }
        if (b != -1) {
            throw new AssertionError("expected the connection to close without an answer, got byte " + b);
        }
    }

    /** Reads until EOF or reset, returning how many bytes came before it. */
    public static int drainToEof(InputStream in) throws IOException {
        int count = 0;
        byte[] buffer = new byte[4096];
        try {
            int n;
            while ((n = in.read(buffer)) != -1) {
                count += n;
            }
        } catch (SocketException reset) {
            return count;
        } catch (EOFException eof) {
            return count;
        }
        return count;
    }
}
