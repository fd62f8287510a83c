package io.guardian.pool.internal.libp2p.yamux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
 * The yamux 1.0.0 wire constants and header encoding (hashicorp/yamux {@code spec.md}, "Framing"):
 * {@code version u8 | type u8 | flags u16 | stream id u32 | length u32}, big-endian. Not API.
 */
final class YamuxFrames {

    /** Header size; every frame starts with one. */
    static final int HEADER_LENGTH = 12;
    /** The only version the spec defines. */
    static final int VERSION = 0;

    static final int TYPE_DATA = 0;
    static final int TYPE_WINDOW_UPDATE = 1;
    static final int TYPE_PING = 2;
    static final int TYPE_GO_AWAY = 3;

    static final int FLAG_SYN = 0x1;
    static final int FLAG_ACK = 0x2;
    static final int FLAG_FIN = 0x4;
    static final int FLAG_RST = 0x8;

    /** GoAway codes from the spec's "Session termination". */
    static final int GO_AWAY_NORMAL = 0;
    static final int GO_AWAY_PROTOCOL_ERROR = 1;
    static final int GO_AWAY_INTERNAL_ERROR = 2;

    /** The spec's initial per-stream window: "each stream with a 256KiB window size". */
    static final int INITIAL_WINDOW = 256 * 1024;
    /** Windows and ids are u32 on the wire. */
    static final long U32_MAX = 0xFFFF_FFFFL;

    private YamuxFrames() {
    }

    /**
     * @return a header-only frame (WindowUpdate, Ping, GoAway, or an empty Data frame)
     */
    static ByteBuf header(ByteBufAllocator alloc, int type, int flags, int streamId, long length) {
        ByteBuf out = alloc.buffer(HEADER_LENGTH, HEADER_LENGTH);
        writeHeader(out, type, flags, streamId, length);
        return out;
    }

    /**
     * A Data frame around {@code payload}, whose ownership passes to the returned buffer. A composite
     * avoids copying the payload while the codec below still sees one buffer per frame.
     */
    static ByteBuf data(ByteBufAllocator alloc, int flags, int streamId, ByteBuf payload) {
        ByteBuf head = header(alloc, TYPE_DATA, flags, streamId, payload.readableBytes());
        CompositeByteBuf frame = alloc.compositeBuffer(2);
        frame.addComponent(true, head);
        frame.addComponent(true, payload);
        return frame;
    }

    private static void writeHeader(ByteBuf out, int type, int flags, int streamId, long length) {
        out.writeByte(VERSION);
        out.writeByte(type);
        out.writeShort(flags);
        out.writeInt(streamId);
        out.writeInt((int) length);
    }

    /** @return a readable description for logs and exception messages */
    static String describe(int type, int flags, int streamId, long length) {
        String name;
        switch (type) {
            case TYPE_DATA:
                name = "Data";
                break;
            case TYPE_WINDOW_UPDATE:
                name = "WindowUpdate";
                break;
            case TYPE_PING:
                name = "Ping";
                break;
            case TYPE_GO_AWAY:
                name = "GoAway";
                break;
            default:
                name = "type " + type;
        }
        StringBuilder text = new StringBuilder(name).append('[');
        if ((flags & FLAG_SYN) != 0) {
            text.append("SYN ");
        }
        if ((flags & FLAG_ACK) != 0) {
            text.append("ACK ");
        }
        if ((flags & FLAG_FIN) != 0) {
            text.append("FIN ");
        }
        if ((flags & FLAG_RST) != 0) {
            text.append("RST ");
        }
        return text.append("stream ").append(Integer.toUnsignedLong(streamId)).append(" length ").append(length)
                .append(']').toString();
    }
}
