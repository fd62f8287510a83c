package io.guardian.pool.internal.codec;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * Unsigned varints as the multiformats specs use them (multihash codes and lengths, multiaddr
 * protocol codes and value lengths, CID headers). Not API.
 *
 * <p>The multiformats unsigned-varint spec caps a varint at 9 bytes (63 bits) and requires the
 * minimal encoding, so that every number has exactly one binary form; both rules are enforced on
 * read, because the bytes come from peers and a second encoding of the same address or PeerId
 * would break byte equality.
 */
public final class Varint {

    /** Longest varint the multiformats spec allows: 9 bytes carry 63 bits. */
    public static final int MAX_BYTES = 9;

    private Varint() {
    }

    /**
     * @param value a non-negative number
     * @return how many bytes {@link #encode} writes for it
     */
    public static int length(long value) {
        requireNonNegative(value);
        int n = 1;
        while ((value >>>= 7) != 0) {
            n++;
        }
        return n;
    }

    /**
     * @param value a non-negative number
     * @return its minimal varint encoding
     */
    public static byte[] encode(long value) {
        byte[] out = new byte[length(value)];
        int i = 0;
        long v = value;
        while ((v & ~0x7FL) != 0) {
            out[i++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out[i] = (byte) v;
        return out;
    }

    /**
     * Appends the minimal varint encoding of {@code value}.
     *
     * @param value a non-negative number
     * @param out where to write it
     */
    public static void write(long value, ByteArrayOutputStream out) {
        byte[] encoded = encode(value);
        out.write(encoded, 0, encoded.length);
    }

    /**
     * Reads one varint at the buffer's position and advances past it.
     *
     * @param buf the input
     * @return the value, at most 2^63 - 1
     * @throws IllegalArgumentException if the buffer ends inside the varint, the varint is longer
     *     than 9 bytes, or it is not minimally encoded
     */
    public static long read(ByteBuffer buf) {
        long value = 0;
        for (int i = 0; i < MAX_BYTES; i++) {
            if (!buf.hasRemaining()) {
                throw new IllegalArgumentException("truncated varint: input ends after " + i + " byte(s)");
            }
            int b = buf.get() & 0xFF;
            value |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                if (b == 0 && i > 0) {
                    throw new IllegalArgumentException("varint is not minimally encoded (trailing zero byte)");
                }
                return value;
            }
        }
        throw new IllegalArgumentException("varint longer than " + MAX_BYTES + " bytes");
    }

    /**
     * Reads a varint that must fit an {@code int}, such as a length.
     *
     * @param buf the input
     * @param what what the number is, for the error message
     * @return the value
     * @throws IllegalArgumentException if the varint is malformed or above {@link Integer#MAX_VALUE}
     */
    public static int readInt(ByteBuffer buf, String what) {
        long value = read(buf);
        if (value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + " " + value + " is too large");
        }
        return (int) value;
    }

    private static void requireNonNegative(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("varints encode non-negative numbers, got " + value);
        }
    }
}
