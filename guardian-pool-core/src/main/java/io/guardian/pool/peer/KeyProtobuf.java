package io.guardian.pool.peer;

import io.guardian.pool.internal.codec.Varint;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * The libp2p {@code PublicKey} / {@code PrivateKey} protobuf messages
 * ({@code required KeyType Type = 1; required bytes Data = 2;}), encoded and decoded by hand:
 * two fields do not justify a protobuf dependency. Not API.
 *
 * <p>Decoding is as tolerant as a protobuf library (any field order, unknown fields skipped, the
 * last occurrence wins); encoding is the deterministic form libp2p derives PeerIds from (type,
 * then data).
 */
final class KeyProtobuf {

    static final int RSA = 0;
    static final int ED25519 = 1;
    static final int SECP256K1 = 2;
    static final int ECDSA = 3;

    private static final int WIRE_VARINT = 0;
    private static final int WIRE_FIXED64 = 1;
    private static final int WIRE_LENGTH_DELIMITED = 2;
    private static final int WIRE_FIXED32 = 5;

    /** A decoded key message. Internal value holder: callers must not modify {@code data}. */
    record Key(int type, byte[] data) {
    }

    private KeyProtobuf() {
    }

    static byte[] encode(int type, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + 8);
        out.write(0x08);
        Varint.write(type, out);
        out.write(0x12);
        Varint.write(data.length, out);
        out.write(data, 0, data.length);
        return out.toByteArray();
    }

    /**
     * @param protobuf the message bytes
     * @param what "public key" or "private key", for messages
     * @return the key type and data
     * @throws IllegalArgumentException naming the problem: truncated, missing field, unknown type
     */
    static Key decode(byte[] protobuf, String what) {
        ByteBuffer buf = ByteBuffer.wrap(protobuf);
        Integer type = null;
        byte[] data = null;
        try {
            while (buf.hasRemaining()) {
                long tag = Varint.read(buf);
                long field = tag >>> 3;
                int wire = (int) (tag & 7);
                if (field == 1 && wire == WIRE_VARINT) {
                    long t = Varint.read(buf);
                    if (t > ECDSA) {
                        throw new IllegalArgumentException("unknown key type " + t);
                    }
                    type = (int) t;
                } else if (field == 2 && wire == WIRE_LENGTH_DELIMITED) {
                    data = new byte[lengthOf(buf)];
                    buf.get(data);
                } else {
                    skip(buf, wire, field);
                }
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed libp2p " + what + " protobuf: " + e.getMessage(), e);
        }
        if (type == null || data == null) {
            throw new IllegalArgumentException("malformed libp2p " + what + " protobuf: missing the "
                    + (type == null ? "Type (field 1)" : "Data (field 2)") + " field");
        }
        return new Key(type, data);
    }

    static String typeName(int type) {
        switch (type) {
            case RSA:
                return "RSA";
            case ED25519:
                return "Ed25519";
            case SECP256K1:
                return "Secp256k1";
            case ECDSA:
                return "ECDSA";
            default:
                return "type " + type;
        }
    }

    private static int lengthOf(ByteBuffer buf) {
        int length = Varint.readInt(buf, "field length");
        if (length > buf.remaining()) {
            throw new IllegalArgumentException("field declares " + length + " bytes but only " + buf.remaining()
                    + " follow");
        }
        return length;
    }

    private static void skip(ByteBuffer buf, int wire, long field) {
        int skip;
        switch (wire) {
            case WIRE_VARINT:
                Varint.read(buf);
                return;
            case WIRE_FIXED64:
                skip = 8;
                break;
            case WIRE_LENGTH_DELIMITED:
                skip = lengthOf(buf);
                break;
            case WIRE_FIXED32:
                skip = 4;
                break;
            default:
                throw new IllegalArgumentException("field " + field + " has unsupported wire type " + wire);
        }
        if (skip > buf.remaining()) {
            throw new IllegalArgumentException("field " + field + " is truncated");
        }
        buf.position(buf.position() + skip);
    }
}
