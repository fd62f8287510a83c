package io.guardian.pool.internal.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.util.List;

/**
 * Splits the byte stream after the handshake into {@link Frame}s (PROTOCOL.md section 4) and
 * rejects, as early as the offending bytes arrive, a length of 0, a length over 1 +
 * {@code max-frame-size}, an unknown type and a PING or PONG whose payload is not 8 bytes. Not API.
 *
 * <p>Memory: once a frame's header is judged, its payload is reserved from the connection's
 * {@link MemoryBudget.Account} and only then allocated, as a heap array of exactly its size; the
 * bytes are copied into it as they arrive, so the decoder's (direct) cumulation never holds more
 * than one read's worth, however large the frame. The reservation stays with the frame: whoever
 * consumes it releases it ({@link InboundSession} once the handler has run). A refused reservation
 * is raised as {@link BudgetExceeded}; the connection handler closes the channel.
 *
 * <p>A violation is raised as {@link FrameViolation} through {@code exceptionCaught}; the decoder
 * then discards everything else, and the connection handler closes the channel.
 */
final class FrameDecoder extends ByteToMessageDecoder {

    private final int maxFrameSize;
    private final MemoryBudget.Account memory;
    private boolean failed;
    /** The frame being received: its type, its payload array (reserved), how much of it arrived. */
    private byte partialType;
    private byte[] partial;
    private int filled;

    /** A decoder outside any budget (the dialer's side: it reads only replies it asked for). */
    FrameDecoder(int maxFrameSize) {
        this(maxFrameSize, MemoryBudget.UNLIMITED.open());
    }

    /**
     * @param maxFrameSize the largest payload accepted
     * @param memory where each frame's payload is reserved before it is allocated
     */
    FrameDecoder(int maxFrameSize, MemoryBudget.Account memory) {
        this.maxFrameSize = maxFrameSize;
        this.memory = memory;
    }

    /** A frame the listener's memory budget has no room for; the connection is dropped. */
    static final class BudgetExceeded extends DecoderException {
        private static final long serialVersionUID = 1L;

        BudgetExceeded(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            // Peers trigger these at will; the message says everything.
            return this;
        }
    }

    /** A frame that breaks PROTOCOL.md section 4. */
    static final class FrameViolation extends DecoderException {
        private static final long serialVersionUID = 1L;

        FrameViolation(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            // Peers trigger these at will; the message says everything.
            return this;
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (partial != null) {
            int n = Math.min(in.readableBytes(), partial.length - filled);
            in.readBytes(partial, filled, n);
            filled += n;
            if (filled == partial.length) {
                out.add(new Frame(partialType, partial));
                partial = null;
            }
            return;
        }
        int available = in.readableBytes();
        if (available < Frame.LENGTH_FIELD) {
            return;
        }
        int start = in.readerIndex();
        long length = in.getUnsignedInt(start);
        if (length == 0) {
            throw violation(in, "frame length 0 (a frame has at least its type byte)");
        }
        if (length > 1L + maxFrameSize) {
            throw violation(in, "frame length " + length + " exceeds 1 + max-frame-size " + maxFrameSize);
        }
        if (available < Frame.HEADER) {
            return;
        }
        byte type = in.getByte(start + Frame.LENGTH_FIELD);
        if (type < Frame.DATA || type > Frame.CLOSE) {
            throw violation(in, String.format("unknown frame type 0x%02x", type & 0xff));
        }
        if ((type == Frame.PING || type == Frame.PONG) && length != 1 + Frame.PING_PAYLOAD) {
            throw violation(in, Frame.typeName(type) + " payload of " + (length - 1) + " bytes, must be "
                    + Frame.PING_PAYLOAD);
        }
        int size = (int) length - 1;
        if (!memory.reserve(size)) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw new BudgetExceeded("no room in the inbound memory budget for a frame of " + size + " bytes");
        }
        in.skipBytes(Frame.HEADER);
        byte[] payload = new byte[size];
        int n = Math.min(in.readableBytes(), size);
        in.readBytes(payload, 0, n);
        if (n == size) {
            out.add(new Frame(type, payload));
        } else {
            partialType = type;
            partial = payload;
            filled = n;
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        // A frame cut short by the connection's end: its reservation goes back with it.
        if (partial != null) {
            memory.release(partial.length);
            partial = null;
        }
    }

    private FrameViolation violation(ByteBuf in, String message) {
        failed = true;
        in.skipBytes(in.readableBytes());
        return new FrameViolation(message);
    }
}
