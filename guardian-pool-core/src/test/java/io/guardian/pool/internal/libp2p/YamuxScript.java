package io.guardian.pool.internal.libp2p;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Raw yamux over a secured {@link HostileConnection}, for scripts that misbehave in the muxer or on
 * a stream: frames are built and read by hand (hashicorp/yamux {@code spec.md}, "Framing":
 * {@code version u8 | type u8 | flags u16 | stream id u32 | length u32}, big-endian), nothing is
 * answered unless the script does it.
 */
public final class YamuxScript {

    /** Frame type: stream data. */
    public static final int DATA = 0;
    /** Frame type: a stream's window grows (or, with flags, opens, acks, half-closes, resets it). */
    public static final int WINDOW_UPDATE = 1;
    /** Frame type: a session Ping (SYN asks, ACK answers). */
    public static final int PING = 2;
    /** Frame type: the session ends (0 normal, 1 protocol error, 2 internal error). */
    public static final int GO_AWAY = 3;
    /** Flag: opens a stream, or asks a Ping. */
    public static final int SYN = 0x1;
    /** Flag: accepts a stream, or answers a Ping. */
    public static final int ACK = 0x2;
    /** Flag: half-closes a stream. */
    public static final int FIN = 0x4;
    /** Flag: resets a stream. */
    public static final int RST = 0x8;
    /** The largest Data payload a script reads: more is the dialer misbehaving. */
    private static final int MAX_READ = 1 << 20;

    /** One frame read from the dialer. */
    public record Frame(int version, int type, int flags, int stream, long length, byte[] payload) {
        /** @return whether {@code flag} is set */
        public boolean has(int flag) {
            return (flags & flag) != 0;
        }
    }

    /**
     * A stream the dialer opened and named a protocol on.
     *
     * @param id its yamux id
     * @param protocol the protocol the dialer proposed after the multistream header
     * @param rest the bytes it sent behind the proposal so far (0-RTT: usually the first message)
     */
    public record Opened(int id, String protocol, byte[] rest) {
    }

    private final HostileConnection connection;
    private final Map<Integer, ByteArrayOutputStream> streams = new HashMap<>();
    private final java.util.Set<Integer> returned = new java.util.HashSet<>();

    /** @param connection a connection past {@link HostileConnection#secure} */
    public YamuxScript(HostileConnection connection) {
        this.connection = connection;
    }

    /** @return a frame header with {@code payload} behind it ({@code length} as given, whatever the payload) */
    public static byte[] frame(int version, int type, int flags, int stream, long length, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(12 + payload.length);
        b.put((byte) version).put((byte) type).putShort((short) flags).putInt(stream).putInt((int) length);
        b.put(payload);
        return b.array();
    }

    /** @return a well-formed version-0 frame; Data frames carry {@code payload}, others announce {@code value} */
    public static byte[] frame(int type, int flags, int stream, long value, byte[] payload) {
        return frame(0, type, flags, stream, type == DATA ? payload.length : value, payload);
    }

    /** Writes one frame. */
    public void send(int type, int flags, int stream, long value, byte[] payload) {
        connection.write(frame(type, flags, stream, value, payload));
    }

    /** Sends Data on {@code stream}. */
    public void data(int flags, int stream, byte[] payload) {
        send(DATA, flags, stream, 0, payload);
    }

    /** Reads the next frame. */
    public Frame next() throws IOException {
        ByteBuffer h = ByteBuffer.wrap(connection.read(12));
        int version = h.get() & 0xff;
        int type = h.get() & 0xff;
        int flags = h.getShort() & 0xffff;
        int stream = h.getInt();
        long length = Integer.toUnsignedLong(h.getInt());
        byte[] payload = new byte[0];
        if (type == DATA) {
            if (length > MAX_READ) {
                throw new IOException("the dialer sent a Data frame of " + length + " bytes");
            }
            payload = connection.read((int) length);
        }
        return new Frame(version, type, flags, stream, length, payload);
    }

    /** Reads frames until one matches {@code wanted}; EOF and the read deadline end the wait with an exception. */
    public Frame await(java.util.function.Predicate<Frame> wanted) throws IOException {
        while (true) {
            Frame f = next();
            if (wanted.test(f)) {
                return f;
            }
        }
    }

    /** Reads frames until the dialer closes the connection (or the read deadline passes). */
    public void drain() throws IOException {
        try {
            while (true) {
                next();
            }
        } catch (java.io.EOFException closed) {
            // the dialer closed: what the caller waited for
        }
    }

    /**
     * Reads frames until the dialer has opened a stream and proposed {@code protocol} on it
     * (identify and other streams are read past, never answered).
     *
     * @param protocol the protocol to wait for
     */
    public Opened awaitStream(String protocol) throws IOException {
        while (true) {
            Opened opened = nextOpened();
            if (protocol.equals(opened.protocol())) {
                return opened;
            }
        }
    }

    /** Reads frames until the dialer named a protocol on a stream not returned before (identify included). */
    public Opened nextOpened() throws IOException {
        while (true) {
            Frame f = next();
            if (f.type() != DATA || f.stream() == 0 || returned.contains(f.stream())) {
                continue;
            }
            ByteArrayOutputStream seen = streams.computeIfAbsent(f.stream(), id -> new ByteArrayOutputStream());
            seen.write(f.payload(), 0, f.payload().length);
            Opened opened = returned.contains(f.stream()) ? null : parse(f.stream(), seen.toByteArray());
            if (opened != null) {
                returned.add(f.stream());
                return opened;
            }
        }
    }

    /** @return the stream's header and proposal with what followed, or {@code null} while incomplete */
    private static Opened parse(int id, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        String header = text(b);
        String proposal = header == null ? null : text(b);
        if (proposal == null) {
            return null;
        }
        byte[] rest = new byte[b.remaining()];
        b.get(rest);
        return new Opened(id, proposal, rest);
    }

    private static String text(ByteBuffer b) {
        if (!b.hasRemaining()) {
            return null;
        }
        int length = b.get() & 0xff; // every message here is shorter than 128 bytes
        if (length >= 0x80 || b.remaining() < length || length == 0) {
            return null;
        }
        byte[] t = new byte[length];
        b.get(t);
        return new String(t, 0, length - 1, StandardCharsets.UTF_8);
    }

    /** @return {@code message} with its uvarint length in front */
    public static byte[] lengthPrefixed(byte[] message) {
        return concat(uvarint(message.length), message);
    }

    /** @return the unsigned varint of {@code value} */
    public static byte[] uvarint(long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long v = value;
        while (v >= 0x80) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }

    /** @return the arrays one after the other */
    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }
}
