package io.guardian.pool.internal.codec;

/**
 * RFC 4648 base32 with the lowercase alphabet and no padding: multibase {@code b} (CIDs such as
 * {@code bafz…}), Tor onion hosts and I2P {@code garlic32} hosts. Not API.
 */
public final class Base32 {

    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

    private Base32() {
    }

    /**
     * @param data any bytes
     * @return lowercase base32, unpadded
     */
    public static String encode(byte[] data) {
        StringBuilder sb = new StringBuilder((data.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xFF);
            bits += 8;
            while (bits >= 5) {
                sb.append(ALPHABET[(buffer >>> (bits - 5)) & 0x1F]);
                bits -= 5;
            }
        }
        if (bits > 0) {
            sb.append(ALPHABET[(buffer << (5 - bits)) & 0x1F]);
        }
        return sb.toString();
    }

    /**
     * Decodes lowercase, unpadded base32. Like Go's decoder, unused low bits of the last character
     * are ignored.
     *
     * @param text the text
     * @return the bytes
     * @throws IllegalArgumentException for a character outside the lowercase alphabet or a length
     *     that no byte string encodes to (1, 3 or 6 characters past a multiple of 8)
     */
    public static byte[] decode(String text) {
        int rem = text.length() % 8;
        if (rem == 1 || rem == 3 || rem == 6) {
            throw new IllegalArgumentException("base32 text of " + text.length() + " characters is truncated");
        }
        byte[] out = new byte[text.length() * 5 / 8];
        int buffer = 0;
        int bits = 0;
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int v;
            if (c >= 'a' && c <= 'z') {
                v = c - 'a';
            } else if (c >= '2' && c <= '7') {
                v = c - '2' + 26;
            } else {
                throw new IllegalArgumentException("invalid base32 character '" + c + "' at index " + i);
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out[n++] = (byte) (buffer >>> (bits - 8));
                bits -= 8;
            }
        }
        return out;
    }
}
