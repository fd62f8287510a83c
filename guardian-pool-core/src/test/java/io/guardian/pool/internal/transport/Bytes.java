package io.guardian.pool.internal.transport;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;

/** Byte helpers for tests: hex literals with spaces for readability, and concatenation. */
public final class Bytes {

    private Bytes() {
    }

    /** Decodes hex, ignoring whitespace, so literals can be grouped by field. */
    public static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replaceAll("\\s+", ""));
    }

    /** Encodes as lowercase hex (for assertion messages). */
    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** Concatenates. */
    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** {@code count} copies of {@code value}. */
    public static byte[] repeat(int value, int count) {
        byte[] out = new byte[count];
        java.util.Arrays.fill(out, (byte) value);
        return out;
    }
}
