package io.guardian.pool.internal.libp2p.yamux;

import io.guardian.pool.internal.transport.TransportException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * Cuts yamux frames out of plaintext that arrives in arbitrary pieces (a frame may span reads, a
 * read may hold many frames) and hands each to a {@link Sink}. Confined to the event loop. Not API.
 *
 * <p>Memory is bounded before it is spent: a Data payload is only accumulated once the sink has
 * accepted its length (against the stream's receive window); a payload the sink does not want is
 * skipped as it arrives, never buffered; any Data length above {@code maxDataLength} (no stream can
 * ever have more credit) is a protocol violation at the header.
 */
final class YamuxDecoder {

    /** Receives decoded frames; may throw {@link TransportException} for a violation. */
    interface Sink {
        /**
         * A Data header arrived. @return {@code true} to receive the payload in {@link #data},
         * {@code false} to have it skipped (unknown stream, refused stream)
         */
        boolean dataHeader(int flags, int streamId, long length);

        /** A complete Data frame whose header was accepted; {@code payload} is owned by the sink. */
        void data(int flags, int streamId, ByteBuf payload);

        /** A Data frame whose header was refused has been skipped entirely. */
        void dataSkipped(int flags, int streamId);

        void windowUpdate(int flags, int streamId, long delta);

        void ping(int flags, long opaque);

        void goAway(long code);

        /** @return {@code true} to stop decoding (what is left stays buffered until {@link #resume}) */
        boolean paused();
    }

    private final ByteBufAllocator alloc;
    private final Sink sink;
    private final long maxDataLength;
    private ByteBuf cumulation;
    /** The Data header being waited on, or -1 when the next bytes are a header. */
    private long pendingLength = -1;
    private int pendingFlags;
    private int pendingStream;
    private boolean skipping;

    YamuxDecoder(ByteBufAllocator alloc, Sink sink, long maxDataLength) {
        this.alloc = alloc;
        this.sink = sink;
        this.maxDataLength = maxDataLength;
    }

    /** Takes ownership of {@code in} and decodes as many frames as are complete (unless paused). */
    void decode(ByteBuf in) {
        if (cumulation == null) {
            cumulation = in;
        } else {
            cumulation = ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(alloc, cumulation, in);
        }
        resume();
    }

    /** Decodes what is buffered; called again after the sink stops pausing. */
    void resume() {
        if (cumulation == null) {
            return;
        }
        try {
            while (!sink.paused() && step()) {
                // each step consumed one frame or part of a skipped payload
            }
        } finally {
            if (cumulation != null && !cumulation.isReadable()) {
                cumulation.release();
                cumulation = null;
            } else if (cumulation != null && cumulation.refCnt() == 1
                    && cumulation.readerIndex() > cumulation.capacity() / 2) {
                // Only when no payload slice shares the memory: discarding moves the bytes under it.
                cumulation.discardSomeReadBytes();
            }
        }
    }

    /** @return bytes received and not yet decoded */
    int buffered() {
        return cumulation == null ? 0 : cumulation.readableBytes();
    }

    /** Drops whatever is buffered; the session is over. */
    void release() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }

    private boolean step() {
        ByteBuf buf = cumulation;
        if (buf == null) {
            return false;
        }
        if (pendingLength >= 0) {
            return payloadStep(buf);
        }
        if (buf.readableBytes() < YamuxFrames.HEADER_LENGTH) {
            return false;
        }
        int version = buf.readUnsignedByte();
        int type = buf.readUnsignedByte();
        int flags = buf.readUnsignedShort();
        int streamId = buf.readInt();
        long length = buf.readUnsignedInt();
        if (version != YamuxFrames.VERSION) {
            throw violation("unsupported yamux version " + version, type, flags, streamId, length);
        }
        switch (type) {
            case YamuxFrames.TYPE_DATA:
                if (length > maxDataLength) {
                    throw violation("Data frame longer than any receive window (" + maxDataLength + ")", type,
                            flags, streamId, length);
                }
                boolean keep = sink.dataHeader(flags, streamId, length);
                pendingLength = length;
                pendingFlags = flags;
                pendingStream = streamId;
                skipping = !keep;
                return true;
            case YamuxFrames.TYPE_WINDOW_UPDATE:
                sink.windowUpdate(flags, streamId, length);
                return true;
            case YamuxFrames.TYPE_PING:
                sink.ping(flags, length);
                return true;
            case YamuxFrames.TYPE_GO_AWAY:
                sink.goAway(length);
                return true;
            default:
                throw violation("unknown yamux frame type " + type, type, flags, streamId, length);
        }
    }

    private boolean payloadStep(ByteBuf buf) {
        if (skipping) {
            int n = (int) Math.min(pendingLength, buf.readableBytes());
            buf.skipBytes(n);
            pendingLength -= n;
            if (pendingLength > 0) {
                return false;
            }
            pendingLength = -1;
            sink.dataSkipped(pendingFlags, pendingStream);
            return true;
        }
        if (buf.readableBytes() < pendingLength) {
            return false;
        }
        ByteBuf payload = buf.readRetainedSlice((int) pendingLength);
        pendingLength = -1;
        sink.data(pendingFlags, pendingStream, payload);
        return true;
    }

    private static TransportException violation(String what, int type, int flags, int streamId, long length) {
        return new TransportException(TransportException.Kind.PROTOCOL_VIOLATION,
                what + " in " + YamuxFrames.describe(type, flags, streamId, length));
    }
}
