package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.internal.codec.Varint;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The libp2p Noise handshake payload (libp2p/specs {@code noise/README.md}, proto2):
 *
 * <pre>
 * message NoiseExtensions { repeated bytes webtransport_certhashes = 1; repeated string stream_muxers = 2; }
 * message NoiseHandshakePayload { bytes identity_key = 1; bytes identity_sig = 2; NoiseExtensions extensions = 4; }
 * </pre>
 *
 * Encoded and decoded by hand, like {@code KeyProtobuf}. Decoding treats the bytes as hostile:
 * every length is checked against what is present before anything is allocated, unknown fields
 * of every wire type (groups included) are skipped, the last {@code identity_key} and
 * {@code identity_sig} win and repeated fields accumulate (protobuf merge rules), and the lists
 * are capped. Not API.
 *
 * @param identityKey the libp2p {@code PublicKey} protobuf
 * @param identitySig the signature over {@code "noise-libp2p-static-key:" || static key}
 * @param certhashes webtransport certificate hashes (kept only to be bounded; TCP ignores them)
 * @param muxers the stream muxers offered, in preference order; empty when none were sent
 */
record NoisePayload(byte[] identityKey, byte[] identitySig, List<byte[]> certhashes, List<String> muxers) {

    /** Most muxer strings accepted: real nodes send one or two. */
    static final int MAX_MUXERS = 16;
    /** Longest muxer string accepted, in bytes (js caps multistream protocol ids at the same). */
    static final int MAX_MUXER_LENGTH = 1024;
    /** Most certhashes accepted and the longest one (a multihash is tens of bytes). */
    static final int MAX_CERTHASHES = 16;
    static final int MAX_CERTHASH_LENGTH = 1024;
    /** Nesting depth of unknown groups we are willing to skip. */
    private static final int MAX_GROUP_DEPTH = 8;

    private static final int VARINT = 0;
    private static final int FIXED64 = 1;
    private static final int LENGTH_DELIMITED = 2;
    private static final int START_GROUP = 3;
    private static final int END_GROUP = 4;
    private static final int FIXED32 = 5;

    byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(identityKey.length + identitySig.length + 64);
        writeBytes(out, 1, identityKey);
        writeBytes(out, 2, identitySig);
        if (!certhashes.isEmpty() || !muxers.isEmpty()) {
            ByteArrayOutputStream ext = new ByteArrayOutputStream();
            for (byte[] hash : certhashes) {
                writeBytes(ext, 1, hash);
            }
            for (String muxer : muxers) {
                writeBytes(ext, 2, muxer.getBytes(StandardCharsets.UTF_8));
            }
            writeBytes(out, 4, ext.toByteArray());
        }
        return out.toByteArray();
    }

    /**
     * @param payload the decrypted payload
     * @return the decoded payload; missing key or signature fields decode as empty arrays
     * @throws TransportException {@link Kind#PROTOCOL_VIOLATION} naming what is malformed
     */
    static NoisePayload decode(byte[] payload) {
        ByteBuffer buf = ByteBuffer.wrap(payload);
        byte[] key = new byte[0];
        byte[] sig = new byte[0];
        List<byte[]> hashes = new ArrayList<>();
        List<String> muxers = new ArrayList<>();
        try {
            while (buf.hasRemaining()) {
                long tag = Varint.read(buf);
                int field = fieldOf(tag);
                int wire = (int) (tag & 7);
                if (field == 1 && wire == LENGTH_DELIMITED) {
                    key = bytes(buf, lengthOf(buf));
                } else if (field == 2 && wire == LENGTH_DELIMITED) {
                    sig = bytes(buf, lengthOf(buf));
                } else if (field == 4 && wire == LENGTH_DELIMITED) {
                    int length = lengthOf(buf);
                    ByteBuffer ext = buf.slice();
                    ext.limit(length);
                    buf.position(buf.position() + length);
                    decodeExtensions(ext, hashes, muxers);
                } else {
                    skip(buf, field, wire, 0);
                }
            }
        } catch (IllegalArgumentException e) {
            throw new TransportException(Kind.PROTOCOL_VIOLATION, "malformed Noise handshake payload: "
                    + e.getMessage());
        }
        return new NoisePayload(key, sig, Collections.unmodifiableList(hashes), Collections.unmodifiableList(muxers));
    }

    /**
     * Reads a varint field of a small protobuf message, such as the Type of a libp2p
     * {@code PublicKey}, skipping every other field with the same bounds as {@link #decode}.
     *
     * @return the last value of the field, or -1 if absent
     * @throws IllegalArgumentException if the message is malformed
     */
    static long varintField(byte[] message, int wanted) {
        ByteBuffer buf = ByteBuffer.wrap(message);
        long value = -1;
        while (buf.hasRemaining()) {
            long tag = Varint.read(buf);
            int field = fieldOf(tag);
            int wire = (int) (tag & 7);
            if (field == wanted && wire == VARINT) {
                value = Varint.read(buf);
            } else {
                skip(buf, field, wire, 0);
            }
        }
        return value;
    }

    private static void decodeExtensions(ByteBuffer buf, List<byte[]> hashes, List<String> muxers) {
        while (buf.hasRemaining()) {
            long tag = Varint.read(buf);
            int field = fieldOf(tag);
            int wire = (int) (tag & 7);
            if (field == 1 && wire == LENGTH_DELIMITED) {
                int length = lengthOf(buf);
                if (hashes.size() == MAX_CERTHASHES || length > MAX_CERTHASH_LENGTH) {
                    throw new IllegalArgumentException("more than " + MAX_CERTHASHES + " webtransport certhashes or one"
                            + " longer than " + MAX_CERTHASH_LENGTH + " bytes");
                }
                hashes.add(bytes(buf, length));
            } else if (field == 2 && wire == LENGTH_DELIMITED) {
                int length = lengthOf(buf);
                if (muxers.size() == MAX_MUXERS || length > MAX_MUXER_LENGTH) {
                    throw new IllegalArgumentException("more than " + MAX_MUXERS + " stream muxers or one longer than "
                            + MAX_MUXER_LENGTH + " bytes");
                }
                ByteBuffer text = buf.slice();
                text.limit(length);
                buf.position(buf.position() + length);
                try {
                    muxers.add(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(text).toString());
                } catch (CharacterCodingException e) {
                    throw new IllegalArgumentException("a stream muxer name is not UTF-8");
                }
            } else {
                skip(buf, field, wire, 0);
            }
        }
    }

    private static int fieldOf(long tag) {
        long field = tag >>> 3;
        if (field == 0 || field > 0x1FFF_FFFF) {
            throw new IllegalArgumentException("invalid field number " + field);
        }
        return (int) field;
    }

    private static void skip(ByteBuffer buf, int field, int wire, int depth) {
        switch (wire) {
            case VARINT:
                Varint.read(buf);
                return;
            case FIXED64:
                advance(buf, 8, field);
                return;
            case LENGTH_DELIMITED:
                advance(buf, lengthOf(buf), field);
                return;
            case FIXED32:
                advance(buf, 4, field);
                return;
            case START_GROUP:
                if (depth == MAX_GROUP_DEPTH) {
                    throw new IllegalArgumentException("groups nested deeper than " + MAX_GROUP_DEPTH);
                }
                while (true) {
                    if (!buf.hasRemaining()) {
                        throw new IllegalArgumentException("group " + field + " is not closed");
                    }
                    long tag = Varint.read(buf);
                    int inner = fieldOf(tag);
                    int innerWire = (int) (tag & 7);
                    if (innerWire == END_GROUP) {
                        if (inner != field) {
                            throw new IllegalArgumentException("group " + field + " closed as " + inner);
                        }
                        return;
                    }
                    skip(buf, inner, innerWire, depth + 1);
                }
            default:
                throw new IllegalArgumentException("field " + field + " has wire type " + wire
                        + (wire == END_GROUP ? " outside a group" : ", which protobuf does not define"));
        }
    }

    private static void advance(ByteBuffer buf, int length, int field) {
        if (length > buf.remaining()) {
            throw new IllegalArgumentException("field " + field + " is truncated");
        }
        buf.position(buf.position() + length);
    }

    private static int lengthOf(ByteBuffer buf) {
        int length = Varint.readInt(buf, "field length");
        if (length > buf.remaining()) {
            throw new IllegalArgumentException("a field declares " + length + " bytes but only " + buf.remaining()
                    + " follow");
        }
        return length;
    }

    private static byte[] bytes(ByteBuffer buf, int length) {
        byte[] b = new byte[length];
        buf.get(b);
        return b;
    }

    private static void writeBytes(ByteArrayOutputStream out, int field, byte[] value) {
        Varint.write(field << 3 | LENGTH_DELIMITED, out);
        Varint.write(value.length, out);
        out.write(value, 0, value.length);
    }
}
