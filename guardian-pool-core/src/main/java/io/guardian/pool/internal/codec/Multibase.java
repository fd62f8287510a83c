package io.guardian.pool.internal.codec;

import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Multibase: text prefixed by one character naming its encoding. Decoding covers the bases
 * libp2p peers actually emit for CIDs and certificate hashes: {@code f}/{@code F} (base16),
 * {@code b}/{@code B} (base32), {@code k}/{@code K} (base36), {@code z} (base58btc),
 * {@code m}/{@code M} (base64), {@code u}/{@code U} (base64url). Not API.
 */
public final class Multibase {

    private static final RadixCodec BASE36 = new RadixCodec("base36", "0123456789abcdefghijklmnopqrstuvwxyz");

    private Multibase() {
    }

    /**
     * @param data any bytes
     * @return multibase {@code b}: lowercase base32 without padding, the default text form of a
     *     CIDv1
     */
    public static String encodeBase32(byte[] data) {
        return "b" + Base32.encode(data);
    }

    /**
     * @param data any bytes
     * @return multibase {@code k}: lowercase base36, the form IPNS names and some tools use for
     *     libp2p-key CIDs
     */
    public static String encodeBase36(byte[] data) {
        return "k" + BASE36.encode(data);
    }

    /**
     * @param data any bytes
     * @return multibase {@code u}: base64url without padding, the form go-multiaddr prints
     *     {@code /certhash} values in
     */
    public static String encodeBase64Url(byte[] data) {
        return "u" + Base64.getUrlEncoder().withoutPadding().encodeToString(data);
    }

    /**
     * @param text multibase text, prefix included
     * @return the decoded bytes
     * @throws IllegalArgumentException for an empty text, an unsupported prefix or a character
     *     the named base does not have
     */
    public static byte[] decode(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty multibase text");
        }
        char prefix = text.charAt(0);
        String body = text.substring(1);
        switch (prefix) {
            case 'f':
            case 'F':
                return decodeHex(body, prefix == 'f');
            case 'b':
                return Base32.decode(body);
            case 'B':
                requireNoLowercase(body, "base32upper");
                return Base32.decode(body.toLowerCase(Locale.ROOT));
            case 'k':
                return BASE36.decode(body);
            case 'K':
                requireNoLowercase(body, "base36upper");
                return BASE36.decode(body.toLowerCase(Locale.ROOT));
            case 'z':
                return Base58.decode(body);
            case 'm':
            case 'M':
                return decodeBase64(Base64.getDecoder(), body, prefix == 'M');
            case 'u':
            case 'U':
                return decodeBase64(Base64.getUrlDecoder(), body, prefix == 'U');
            default:
                throw new IllegalArgumentException("unsupported multibase prefix '" + prefix
                        + "' (supported: f F b B k K z m M u U)");
        }
    }

    private static byte[] decodeHex(String body, boolean lower) {
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (lower ? c >= 'a' && c <= 'f' : c >= 'A' && c <= 'F');
            if (!ok) {
                throw new IllegalArgumentException("invalid base16 character '" + c + "' at index " + (i + 1));
            }
        }
        if (body.length() % 2 != 0) {
            throw new IllegalArgumentException("base16 text has an odd number of digits");
        }
        return HexFormat.of().parseHex(body);
    }

    private static byte[] decodeBase64(Base64.Decoder decoder, String body, boolean padded) {
        if (!padded && body.indexOf('=') >= 0) {
            throw new IllegalArgumentException("unpadded base64 text must not contain '='");
        }
        if (padded && body.length() % 4 != 0) {
            throw new IllegalArgumentException("padded base64 text must be a multiple of 4 characters");
        }
        try {
            return decoder.decode(body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid base64 text: " + e.getMessage(), e);
        }
    }

    private static void requireNoLowercase(String body, String base) {
        for (int i = 0; i < body.length(); i++) {
            if (Character.isLowerCase(body.charAt(i))) {
                throw new IllegalArgumentException("invalid " + base + " character '" + body.charAt(i)
                        + "' at index " + (i + 1));
            }
        }
    }
}
