package io.guardian.pool.internal.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.util.List;

/**
 * Splits the byte stream after the handshake into {@link Frame}s (PROTOCOL.md section 4) and
 * rejects, as early as the offending bytes arrive, a length of 0, a length over 1 +
 * {@code max-frame-size}, an unknown type and a PING or PONG whose payload is not 8 bytes. Nothing
 * is allocated for a frame until all of it has arrived, so a peer announcing a huge frame costs
 * only what it actually sends, and never more than the limit. Not API.
 *
 * <p>A violation is raised as {@link FrameViolation} through {@code exceptionCaught}; the decoder
 * then discards everything else, and the connection handler closes the channel.
 */
final class FrameDecoder extends ByteToMessageDecoder {

    private final int maxFrameSize;
    private boolean failed;

    FrameDecoder(int maxFrameSize) {
        this.maxFrameSize = maxFrameSize;
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
        if (available < Frame.LENGTH_FIELD + length) {
            return;
        }
        byte[] payload = new byte[(int) length - 1];
        in.skipBytes(Frame.HEADER);
        in.readBytes(payload);
        out.add(new Frame(type, payload));
    }

    private FrameViolation violation(ByteBuf in, String message) {
        failed = true;
        in.skipBytes(in.readableBytes());
        return new FrameViolation(message);
    }
}
