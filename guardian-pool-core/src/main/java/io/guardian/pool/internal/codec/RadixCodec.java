package io.guardian.pool.internal.codec;

import java.util.Arrays;

/**
 * Big-number conversion between bytes and a text alphabet, with leading zero bytes written as the
 * alphabet's first character: the scheme shared by base58btc and base36. Quadratic in the input
 * length, which is fine for keys and hashes; callers bound the length of untrusted text. Not API.
 */
final class RadixCodec {

    private final String name;
    private final char[] alphabet;
    private final int[] index = new int[128];

    RadixCodec(String name, String alphabet) {
        this.name = name;
        this.alphabet = alphabet.toCharArray();
        Arrays.fill(index, -1);
        for (int i = 0; i < this.alphabet.length; i++) {
            index[this.alphabet[i]] = i;
        }
    }

    String encode(byte[] data) {
        int base = alphabet.length;
        int zeros = 0;
        while (zeros < data.length && data[zeros] == 0) {
            zeros++;
        }
        // Digits in the target base, least significant first; each input byte multiplies by 256.
        int[] digits = new int[data.length * 2 + 1];
        int used = 0;
        for (int i = zeros; i < data.length; i++) {
            int carry = data[i] & 0xFF;
            for (int j = 0; j < used; j++) {
                carry += digits[j] << 8;
                digits[j] = carry % base;
                carry /= base;
            }
            while (carry > 0) {
                digits[used++] = carry % base;
                carry /= base;
            }
        }
        StringBuilder sb = new StringBuilder(zeros + used);
        for (int i = 0; i < zeros; i++) {
            sb.append(alphabet[0]);
        }
        for (int i = used - 1; i >= 0; i--) {
            sb.append(alphabet[digits[i]]);
        }
        return sb.toString();
    }

    byte[] decode(String text) {
        int base = alphabet.length;
        int zeros = 0;
        while (zeros < text.length() && text.charAt(zeros) == alphabet[0]) {
            zeros++;
        }
        // Bytes, least significant first; each input character multiplies by the base.
        int[] bytes = new int[text.length()];
        int used = 0;
        for (int i = zeros; i < text.length(); i++) {
            char c = text.charAt(i);
            int digit = c < 128 ? index[c] : -1;
            if (digit < 0) {
                throw new IllegalArgumentException("invalid " + name + " character '" + c + "' at index " + i);
            }
            int carry = digit;
            for (int j = 0; j < used; j++) {
                carry += bytes[j] * base;
                bytes[j] = carry & 0xFF;
                carry >>>= 8;
            }
            while (carry > 0) {
                bytes[used++] = carry & 0xFF;
                carry >>>= 8;
            }
        }
        byte[] out = new byte[zeros + used];
        for (int i = 0; i < used; i++) {
            out[zeros + i] = (byte) bytes[used - 1 - i];
        }
        return out;
    }
}
