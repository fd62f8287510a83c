package io.guardian.pool.internal.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One decoded frame (PROTOCOL.md section 4) and the encoders for outgoing ones. The payload is
 * copied out of Netty's buffers at decode time so that no reference-counted buffer ever leaves the
 * pipeline: a caller holding a {@code byte[]} cannot leak one. Not API.
 *
 * @param type one of {@link #DATA}, {@link #PING}, {@link #PONG}, {@link #CLOSE}
 * @param payload the bytes after the type byte
 */
record Frame(byte type, byte[] payload) {

    /** An opaque application message. */
    static final byte DATA = 0x00;
    /** A liveness probe with an 8-byte payload, answered at once by a PONG. */
    static final byte PING = 0x01;
    /** The answer to a PING, echoing its 8 bytes. */
    static final byte PONG = 0x02;
    /** An optional UTF-8 reason; the sender closes the socket next. */
    static final byte CLOSE = 0x03;
    /** Size of the length field. */
    static final int LENGTH_FIELD = 4;
    /** Size of the length field plus the type byte. */
    static final int HEADER = LENGTH_FIELD + 1;
    /** PING and PONG payload size. */
    static final int PING_PAYLOAD = 8;
    /** Longest CLOSE reason we send, in bytes: enough for a log line, never a large frame. */
    static final int MAX_CLOSE_REASON = 256;

    /** Encodes a DATA (or any) frame into a fresh buffer owned by the caller until written. */
    static ByteBuf encode(ByteBufAllocator alloc, byte type, byte[] payload) {
        ByteBuf out = alloc.directBuffer(HEADER + payload.length);
        out.writeInt(1 + payload.length).writeByte(type).writeBytes(payload);
        return out;
    }

    /** Encodes a PING or PONG with its 8-byte payload. */
    static ByteBuf encodePing(ByteBufAllocator alloc, byte type, long payload) {
        ByteBuf out = alloc.directBuffer(HEADER + PING_PAYLOAD);
        out.writeInt(1 + PING_PAYLOAD).writeByte(type).writeLong(payload);
        return out;
    }

    /** Encodes a CLOSE carrying {@code reason}, cut to {@link #MAX_CLOSE_REASON} bytes on a character boundary. */
    /**
     * Sends CLOSE with {@code reason} and closes the channel once it is written, or after
     * {@link #CLOSE_GRACE_MILLIS} if the peer does not take the bytes: a peer that stopped reading
     * must not keep our socket open. Safe from any thread; a channel already inactive (or an event
     * loop shutting down) is simply closed.
     */
    static void closeWithReason(Channel channel, String reason, int maxFrameSize) {
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        try {
            channel.eventLoop().execute(() -> {
                channel.writeAndFlush(encodeClose(channel.alloc(), reason, maxFrameSize))
                        .addListener(ChannelFutureListener.CLOSE);
                channel.eventLoop().schedule(() -> channel.close(), CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            });
        } catch (RejectedExecutionException e) {
            channel.close();
        }
    }

    /** How long a CLOSE frame may take to leave before the socket is closed anyway. */
    static final long CLOSE_GRACE_MILLIS = 500;

    static ByteBuf encodeClose(ByteBufAllocator alloc, String reason, int maxFrameSize) {
        return encode(alloc, CLOSE, truncatedUtf8(reason == null ? "" : reason, Math.min(MAX_CLOSE_REASON, maxFrameSize)));
    }

    /** The PING or PONG payload as a long. */
    long pingPayload() {
        return ((long) (payload[0] & 0xff) << 56) | ((long) (payload[1] & 0xff) << 48)
                | ((long) (payload[2] & 0xff) << 40) | ((long) (payload[3] & 0xff) << 32)
                | ((long) (payload[4] & 0xff) << 24) | ((payload[5] & 0xff) << 16)
                | ((payload[6] & 0xff) << 8) | (payload[7] & 0xff);
    }

    /**
     * The CLOSE reason for logs. A reason that is not valid UTF-8 is not a protocol error (it is
     * only ever logged): it is decoded with replacement characters and control characters escaped.
     */
    String closeReason() {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(payload))
                    .toString();
        } catch (CharacterCodingException e) {
            text = new String(payload, StandardCharsets.UTF_8) + " (not valid UTF-8)";
        }
        StringBuilder safe = new StringBuilder(Math.min(text.length(), MAX_CLOSE_REASON));
        for (int i = 0; i < text.length() && safe.length() < MAX_CLOSE_REASON; i++) {
            char c = text.charAt(i);
            safe.append(Character.isISOControl(c) ? '?' : c);
        }
        return safe.toString();
    }

    static String typeName(int type) {
        switch (type) {
            case DATA:
                return "DATA";
            case PING:
                return "PING";
            case PONG:
                return "PONG";
            case CLOSE:
                return "CLOSE";
            default:
                return String.format("unknown(0x%02x)", type & 0xff);
        }
    }

    private static byte[] truncatedUtf8(String text, int maxBytes) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= maxBytes) {
            return bytes;
        }
        int end = maxBytes;
        // Step back over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--;
        }
        return java.util.Arrays.copyOf(bytes, end);
    }
}
