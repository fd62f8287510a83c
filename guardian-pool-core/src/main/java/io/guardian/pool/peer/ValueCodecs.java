package io.guardian.pool.peer;

import io.guardian.pool.internal.codec.Base32;
import io.guardian.pool.internal.codec.Multibase;
import io.guardian.pool.internal.codec.Multihash;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * The value codecs of the multiaddr protocols, each following go-multiaddr's transcoder for
 * that protocol (see {@link Multiaddr} for where this implementation is deliberately stricter).
 * Not API.
 */
final class ValueCodecs {

    static final ValueCodec IP4 = codec(IpText::parseIpv4, b -> IpText.formatIpv4(b, 0));
    static final ValueCodec IP6 = codec(IpText::parseIpv6, IpText::formatIpv6);
    static final ValueCodec PORT = codec(ValueCodecs::portToBytes,
            b -> Integer.toString(((b[0] & 0xFF) << 8) | (b[1] & 0xFF)));
    /** DNS names and SNI: any non-empty UTF-8 text without '/', as go-multiaddr. */
    static final ValueCodec NAME = codec(t -> utf8(requireNoSlash(t)), b -> requireNoSlash(text(b)));
    /**
     * The path of a unix socket: the rest of the text address, leading '/' included. A binary
     * value must look like one (start with '/', not end with it), or its text would parse back
     * to different bytes.
     */
    static final ValueCodec UNIX = codec(ValueCodecs::utf8, b -> unixPath(text(b)));
    static final ValueCodec IPCIDR = codec(ValueCodecs::cidrToBytes, b -> Integer.toString(b[0] & 0xFF));
    static final ValueCodec P2P = codec(PeerId::multihashFromText, b -> PeerId.ofMultihash(b).toBase58());
    static final ValueCodec ONION = new OnionCodec(10);
    static final ValueCodec ONION3 = new OnionCodec(35);
    static final ValueCodec GARLIC64 = codec(ValueCodecs::garlic64ToBytes, ValueCodecs::garlic64ToText);
    static final ValueCodec GARLIC32 = codec(t -> garlic32Length(Base32.decode(t)),
            b -> Base32.encode(garlic32Length(b)));
    static final ValueCodec CERTHASH = codec(ValueCodecs::certhashToBytes,
            b -> Multibase.encodeBase64Url(validMultihash(b)));
    static final ValueCodec HTTP_PATH = codec(HttpPath::unescape, HttpPath::escape);
    static final ValueCodec MEMORY = codec(ValueCodecs::memoryToBytes,
            b -> Long.toUnsignedString(ByteBuffer.wrap(b).getLong()));

    /** I2P base64 addresses, with their certificate, are 516 to 616 characters (387 to 462 bytes). */
    private static final int GARLIC64_MIN_BYTES = 386;
    private static final int GARLIC64_MAX_BYTES = 462;
    /** Certificate hashes are short multihashes; the bound keeps base58/base36 decoding cheap. */
    private static final int CERTHASH_MAX_TEXT = 512;

    private ValueCodecs() {
    }

    private interface Encoder {
        byte[] toBytes(String text);
    }

    private interface Decoder {
        String toText(byte[] value);
    }

    private static ValueCodec codec(Encoder encoder, Decoder decoder) {
        return new ValueCodec() {
            @Override
            public byte[] toBytes(String text) {
                return encoder.toBytes(text);
            }

            @Override
            public String toText(byte[] value) {
                return decoder.toText(value);
            }
        };
    }

    private static byte[] portToBytes(String text) {
        int port = decimal(text, 65535, "a port number from 0 to 65535");
        return new byte[] {(byte) (port >>> 8), (byte) port};
    }

    private static byte[] cidrToBytes(String text) {
        return new byte[] {(byte) decimal(text, 255, "a prefix length from 0 to 255")};
    }

    /** Decimal digits only (no sign), leading zeros tolerated as Go's strconv.Atoi does. */
    private static int decimal(String text, int max, String expected) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("expected " + expected);
        }
        long value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("expected " + expected);
            }
            value = value * 10 + (c - '0');
            if (value > max) {
                throw new IllegalArgumentException("expected " + expected);
            }
        }
        return (int) value;
    }

    private static byte[] memoryToBytes(String text) {
        if (text.isEmpty() || text.chars().anyMatch(c -> c < '0' || c > '9')) {
            throw new IllegalArgumentException("expected an unsigned 64-bit decimal number");
        }
        try {
            return ByteBuffer.allocate(8).putLong(Long.parseUnsignedLong(text)).array();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected an unsigned 64-bit decimal number", e);
        }
    }

    private static String requireNoSlash(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("the value must not be empty");
        }
        if (text.indexOf('/') >= 0) {
            throw new IllegalArgumentException("the value must not contain '/'");
        }
        return text;
    }

    private static String unixPath(String path) {
        if (path.charAt(0) != '/' || path.endsWith("/")) {
            throw new IllegalArgumentException("a unix path must start with '/' and not end with it");
        }
        return path;
    }

    private static byte[] utf8(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("the value must not be empty");
        }
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(text));
            byte[] out = new byte[encoded.remaining()];
            encoded.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the value is not valid Unicode text", e);
        }
    }

    /** Strict UTF-8: a value that would not survive a text round trip is refused. */
    private static String text(byte[] value) {
        if (value.length == 0) {
            throw new IllegalArgumentException("the value must not be empty");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the value is not valid UTF-8", e);
        }
    }

    private static byte[] garlic64ToBytes(String text) {
        if (text.length() < 516 || text.length() > 616) {
            throw new IllegalArgumentException("an I2P base64 address is 516 to 616 characters, got " + text.length());
        }
        if (text.indexOf('+') >= 0 || text.indexOf('/') >= 0 || text.length() % 4 != 0) {
            throw new IllegalArgumentException("not I2P base64 (alphabet A-Z a-z 0-9 - ~, '=' padded)");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text.replace('-', '+').replace('~', '/'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not I2P base64: " + e.getMessage(), e);
        }
        return garlic64Length(bytes);
    }

    private static String garlic64ToText(byte[] value) {
        return Base64.getEncoder().encodeToString(garlic64Length(value)).replace('+', '-').replace('/', '~');
    }

    private static byte[] garlic64Length(byte[] bytes) {
        if (bytes.length < GARLIC64_MIN_BYTES || bytes.length > GARLIC64_MAX_BYTES) {
            throw new IllegalArgumentException("an I2P destination is " + GARLIC64_MIN_BYTES + " to "
                    + GARLIC64_MAX_BYTES + " bytes, got " + bytes.length);
        }
        return bytes;
    }

    /** Plain b32 addresses are 32 bytes; encrypted lease sets are 35 or more. */
    private static byte[] garlic32Length(byte[] bytes) {
        if (bytes.length != 32 && bytes.length < 35) {
            throw new IllegalArgumentException("an I2P base32 address is 32 or at least 35 bytes, got "
                    + bytes.length);
        }
        return bytes;
    }

    private static byte[] certhashToBytes(String text) {
        if (text.length() > CERTHASH_MAX_TEXT) {
            throw new IllegalArgumentException("a certificate hash is at most " + CERTHASH_MAX_TEXT + " characters");
        }
        return validMultihash(Multibase.decode(text));
    }

    private static byte[] validMultihash(byte[] bytes) {
        Multihash.validate(bytes);
        return bytes;
    }

    /** Tor hidden service: base32 host (10 bytes v2, 35 bytes v3), ':' and a port 1..65535. */
    private static final class OnionCodec implements ValueCodec {
        private final int hostBytes;
        private final int hostChars;

        OnionCodec(int hostBytes) {
            this.hostBytes = hostBytes;
            this.hostChars = hostBytes * 8 / 5;
        }

        @Override
        public byte[] toBytes(String text) {
            int colon = text.indexOf(':');
            if (colon < 0 || colon != text.lastIndexOf(':')) {
                throw new IllegalArgumentException("expected <host>:<port>");
            }
            String host = text.substring(0, colon);
            if (host.length() != hostChars) {
                throw new IllegalArgumentException("the onion host must be " + hostChars + " base32 characters"
                        + " (without .onion), got " + host.length());
            }
            byte[] hostValue = Base32.decode(host.toLowerCase(Locale.ROOT));
            int port = decimal(text.substring(colon + 1), 65535, "a port number from 1 to 65535");
            if (port == 0) {
                throw new IllegalArgumentException("expected a port number from 1 to 65535");
            }
            return ByteBuffer.allocate(hostBytes + 2).put(hostValue).putShort((short) port).array();
        }

        @Override
        public String toText(byte[] value) {
            int port = ((value[hostBytes] & 0xFF) << 8) | (value[hostBytes + 1] & 0xFF);
            if (port == 0) {
                throw new IllegalArgumentException("onion port 0 is not a valid port");
            }
            byte[] host = new byte[hostBytes];
            System.arraycopy(value, 0, host, 0, hostBytes);
            return Base32.encode(host) + ":" + port;
        }
    }

    /**
     * {@code http-path} values are percent-encoded the way Go's {@code url.QueryEscape} does it
     * (go-multiaddr's choice), byte by byte, so any binary path prints and parses back.
     */
    private static final class HttpPath {
        private static final char[] HEX = "0123456789ABCDEF".toCharArray();

        private HttpPath() {
        }

        static byte[] unescape(String text) {
            byte[] in = text.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
            for (int i = 0; i < in.length; i++) {
                byte b = in[i];
                if (b == '%') {
                    int hi = i + 2 < in.length ? Character.digit(in[i + 1], 16) : -1;
                    int lo = i + 2 < in.length ? Character.digit(in[i + 2], 16) : -1;
                    if (hi < 0 || lo < 0) {
                        throw new IllegalArgumentException("'%' at index " + i + " is not followed by two hex digits");
                    }
                    out.write((hi << 4) | lo);
                    i += 2;
                } else if (b == '+') {
                    out.write(' ');
                } else {
                    out.write(b);
                }
            }
            if (out.size() == 0) {
                throw new IllegalArgumentException("an empty http path is not allowed");
            }
            return out.toByteArray();
        }

        static String escape(byte[] value) {
            if (value.length == 0) {
                throw new IllegalArgumentException("an empty http path is not allowed");
            }
            StringBuilder sb = new StringBuilder(value.length * 3);
            for (byte b : value) {
                int c = b & 0xFF;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '-' || c == '_' || c == '.' || c == '~') {
                    sb.append((char) c);
                } else if (c == ' ') {
                    sb.append('+');
                } else {
                    sb.append('%').append(HEX[c >>> 4]).append(HEX[c & 0xF]);
                }
            }
            return sb.toString();
        }
    }
}
