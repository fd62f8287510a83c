package io.guardian.pool.internal.codec;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The few protobuf (proto2/proto3 wire format) pieces libp2p's small messages need, by hand: the
 * messages have a handful of fields each, which does not justify a protobuf dependency. Not API.
 *
 * <p>Reading is as tolerant as a protobuf library (any order, unknown fields of every wire type
 * skipped) and as strict as untrusted input demands: every length is checked against the bytes
 * actually present before anything is allocated, so a message can never claim more than it holds.
 */
public final class Protobuf {

    /** Wire type of varint fields. */
    public static final int VARINT = 0;
    /** Wire type of 64-bit fixed fields. */
    public static final int FIXED64 = 1;
    /** Wire type of bytes, strings and embedded messages. */
    public static final int LENGTH_DELIMITED = 2;
    /** Wire type of 32-bit fixed fields. */
    public static final int FIXED32 = 5;
    /** Wire types of the deprecated groups: skipped, never read. */
    private static final int START_GROUP = 3;
    private static final int END_GROUP = 4;
    /** Nesting depth of groups skipped before the message is refused. */
    private static final int MAX_GROUP_DEPTH = 8;
    /** Largest field number protobuf allows. */
    private static final long MAX_FIELD = 0x1FFF_FFFFL;

    private Protobuf() {
    }

    /** Builds a message field by field, in the order written. */
    public static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

        /**
         * Appends a bytes field.
         *
         * @param field the field number
         * @param value the bytes; {@code null} writes nothing
         * @return this writer
         */
        public Writer bytes(int field, byte[] value) {
            if (value != null) {
                Varint.write(((long) field << 3) | LENGTH_DELIMITED, out);
                Varint.write(value.length, out);
                out.write(value, 0, value.length);
            }
            return this;
        }

        /**
         * Appends a string field, UTF-8.
         *
         * @param field the field number
         * @param value the text; {@code null} writes nothing
         * @return this writer
         */
        public Writer string(int field, String value) {
            return value == null ? this : bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        /**
         * Appends a varint field.
         *
         * @param field the field number
         * @param value a non-negative value
         * @return this writer
         */
        public Writer varint(int field, long value) {
            Varint.write(((long) field << 3) | VARINT, out);
            Varint.write(value, out);
            return this;
        }

        /** @return the message's bytes */
        public byte[] toByteArray() {
            return out.toByteArray();
        }
    }

    /**
     * Walks a message's fields. Use {@link #next()} until it returns {@code false}, then read the
     * current field with the accessor that fits its number, or leave it: unread fields are skipped.
     */
    public static final class Reader {
        private final ByteBuffer buf;
        private final String what;
        private int field;
        private int wire;
        private boolean consumed = true;

        /**
         * @param message the encoded message
         * @param what the message's name, for errors
         */
        public Reader(byte[] message, String what) {
            this(ByteBuffer.wrap(message), what);
        }

        private Reader(ByteBuffer buf, String what) {
            this.buf = buf;
            this.what = what;
        }

        /**
         * Reads the current field as an embedded message.
         *
         * @param name the embedded message's name, for errors
         * @return a reader over its bytes (no copy)
         * @throws IllegalArgumentException if the field is not length-delimited
         */
        public Reader message(String name) {
            requireWire(LENGTH_DELIMITED);
            int length = length();
            ByteBuffer inner = buf.slice();
            inner.limit(length);
            buf.position(buf.position() + length);
            consumed = true;
            return new Reader(inner, name);
        }

        /**
         * Moves to the next field, skipping the current one if it was not read.
         *
         * @return whether there is one
         * @throws IllegalArgumentException for a malformed message
         */
        public boolean next() {
            if (!consumed) {
                skip();
            }
            if (!buf.hasRemaining()) {
                return false;
            }
            readTag();
            consumed = false;
            return true;
        }

        private void readTag() {
            long tag = readVarint();
            if (tag >>> 3 == 0 || tag >>> 3 > MAX_FIELD) {
                throw fail("field number " + (tag >>> 3) + " is out of range");
            }
            field = (int) (tag >>> 3);
            wire = (int) (tag & 7);
        }

        /** @return the current field's number */
        public int field() {
            return field;
        }

        /** @return the current field's wire type */
        public int wire() {
            return wire;
        }

        /**
         * Reads the current field as bytes.
         *
         * @param max the largest length accepted
         * @return a copy of the bytes
         * @throws IllegalArgumentException if the field is not length-delimited or is longer than {@code max}
         */
        public byte[] bytes(int max) {
            requireWire(LENGTH_DELIMITED);
            int length = length();
            if (length > max) {
                throw fail("field " + field + " is " + length + " bytes, more than the " + max + " allowed");
            }
            byte[] value = new byte[length];
            buf.get(value);
            consumed = true;
            return value;
        }

        /**
         * Reads the current field as a UTF-8 string.
         *
         * @param max the largest length in bytes accepted
         * @return the text
         * @throws IllegalArgumentException if not length-delimited, too long, or not UTF-8
         */
        public String string(int max) {
            byte[] bytes = bytes(max);
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw fail("field " + field + " is not valid UTF-8");
            }
        }

        /**
         * Reads the current field as a varint.
         *
         * @return the value
         * @throws IllegalArgumentException if the field is not a varint
         */
        public long varint() {
            requireWire(VARINT);
            consumed = true;
            return readVarint();
        }

        private void skip() {
            consumed = true;
            skip(0);
        }

        private void skip(int depth) {
            int n;
            switch (wire) {
                case VARINT:
                    readVarint();
                    return;
                case FIXED64:
                    n = 8;
                    break;
                case LENGTH_DELIMITED:
                    n = length();
                    break;
                case FIXED32:
                    n = 4;
                    break;
                case START_GROUP:
                    skipGroup(depth);
                    return;
                default:
                    throw fail("field " + field + " has wire type " + wire
                            + (wire == END_GROUP ? " outside a group" : ", which protobuf does not define"));
            }
            if (n > buf.remaining()) {
                throw fail("field " + field + " is truncated");
            }
            buf.position(buf.position() + n);
        }

        private void skipGroup(int depth) {
            if (depth == MAX_GROUP_DEPTH) {
                throw fail("groups nested deeper than " + MAX_GROUP_DEPTH);
            }
            int group = field;
            while (true) {
                if (!buf.hasRemaining()) {
                    throw fail("group " + group + " is not closed");
                }
                readTag();
                if (wire == END_GROUP) {
                    if (field != group) {
                        throw fail("group " + group + " closed as " + field);
                    }
                    return;
                }
                skip(depth + 1);
            }
        }

        private int length() {
            long length = readVarint();
            if (length > buf.remaining()) {
                throw fail("field " + field + " declares " + length + " bytes but only " + buf.remaining() + " follow");
            }
            return (int) length;
        }

        private long readVarint() {
            try {
                return Varint.read(buf);
            } catch (IllegalArgumentException e) {
                throw fail(e.getMessage());
            }
        }

        private void requireWire(int expected) {
            if (wire != expected) {
                throw fail("field " + field + " has wire type " + wire + ", expected " + expected);
            }
        }

        private IllegalArgumentException fail(String detail) {
            return new IllegalArgumentException("malformed " + what + ": " + detail);
        }
    }
}
