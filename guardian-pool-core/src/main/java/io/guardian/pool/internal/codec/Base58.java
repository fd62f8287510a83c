package io.guardian.pool.internal.codec;

/**
 * Base58btc (the Bitcoin alphabet), the text form of PeerIds such as {@code 12D3KooW…} and
 * {@code Qm…}. Not API.
 */
public final class Base58 {

    private static final RadixCodec CODEC =
            new RadixCodec("base58btc", "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz");

    private Base58() {
    }

    /**
     * @param data any bytes; leading zero bytes become leading {@code '1'}s
     * @return the base58btc text
     */
    public static String encode(byte[] data) {
        return CODEC.encode(data);
    }

    /**
     * @param text base58btc text (no multibase prefix)
     * @return the bytes
     * @throws IllegalArgumentException naming the first character outside the alphabet
     *     ({@code 0}, {@code O}, {@code I} and {@code l} are not in it)
     */
    public static byte[] decode(String text) {
        return CODEC.decode(text);
    }
}
