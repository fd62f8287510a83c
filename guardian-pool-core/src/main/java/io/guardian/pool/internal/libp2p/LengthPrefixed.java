package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;

/**
 * The libp2p message convention, {@code uvarint(length) ‖ bytes}, read from and written to Netty
 * buffers that hold whatever the socket delivered so far. Not API.
 *
 * <p>Reading is incremental: {@link #read} returns {@code null} and leaves the buffer as it was
 * until the whole message is there, so a caller can call it again after the next read. The
 * length is checked against the caller's bound before anything is allocated or waited for, and
 * the varint must be minimal (multiformats unsigned-varint), so a peer cannot make us wait for a
 * message we would refuse anyway.
 */
public final class LengthPrefixed {

    /** A uvarint for an int-sized length never needs more than 5 bytes. */
    private static final int MAX_VARINT_BYTES = 5;

    private LengthPrefixed() {
    }

    /**
     * Reads one length-prefixed message if it is complete.
     *
     * @param in the bytes received so far; on success its reader index moves past the message
     * @param max the largest message length accepted
     * @param what what the message is, for the error
     * @return a retained slice of the message (the caller releases it), or {@code null} when more
     *     bytes are needed (the reader index is unchanged)
     * @throws TransportException {@link Kind#PROTOCOL_VIOLATION} for a malformed or non-minimal
     *     varint, {@link Kind#LIMIT_EXCEEDED} for a length above {@code max}
     */
    public static ByteBuf read(ByteBuf in, int max, String what) {
        int start = in.readerIndex();
        int length = readLength(in, max, what);
        if (length < 0) {
            return null;
        }
        if (in.readableBytes() < length) {
            in.readerIndex(start);
            return null;
        }
        return in.readRetainedSlice(length);
    }

    /**
     * Reads the varint length at the reader index.
     *
     * @return the length (reader index after the varint), or -1 if the varint is incomplete
     *     (reader index unchanged)
     */
    static int readLength(ByteBuf in, int max, String what) {
        int start = in.readerIndex();
        long value = 0;
        for (int i = 0; i < MAX_VARINT_BYTES; i++) {
            if (!in.isReadable()) {
                in.readerIndex(start);
                return -1;
            }
            int b = in.readUnsignedByte();
            value |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                if (b == 0 && i > 0) {
                    throw new TransportException(Kind.PROTOCOL_VIOLATION, what + ": length varint is not minimally encoded");
                }
                if (value > max) {
                    throw new TransportException(Kind.LIMIT_EXCEEDED, what + " of " + value
                            + " bytes is larger than the " + max + " allowed");
                }
                return (int) value;
            }
        }
        throw new TransportException(Kind.PROTOCOL_VIOLATION, what + ": length varint longer than "
                + MAX_VARINT_BYTES + " bytes");
    }

    /**
     * Appends {@code uvarint(length) ‖ message}.
     *
     * @param out where to write
     * @param message the bytes
     * @param offset first byte of the message
     * @param length number of bytes
     */
    public static void write(ByteBuf out, byte[] message, int offset, int length) {
        writeLength(out, length);
        out.writeBytes(message, offset, length);
    }

    /** Appends the minimal uvarint of a non-negative length. */
    public static void writeLength(ByteBuf out, int length) {
        int v = length;
        while ((v & ~0x7F) != 0) {
            out.writeByte((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.writeByte(v);
    }

    /** @return the number of bytes {@link #writeLength} writes for {@code length} */
    public static int lengthOfLength(int length) {
        int n = 1;
        for (int v = length >>> 7; v != 0; v >>>= 7) {
            n++;
        }
        return n;
    }
}
