package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * multistream-select 1.0 messages: {@code uvarint(len) ‖ text ‖ '\n'}, where {@code len} counts
 * the newline (multiformats/multistream-select README). Not API.
 *
 * <p>Bounds: a message is at most {@value #MAX_MESSAGE} bytes (js-libp2p caps protocol ids at
 * 1,024 too), must end in a newline and be valid UTF-8; anything else is a protocol violation.
 * Only the header, a protocol id and {@code na} are ever exchanged here: we never send {@code ls}
 * and answer a remote's {@code ls} with {@code na}, which the spec allows for an optional command.
 */
public final class Multistream {

    /** The protocol's own id, sent first by both sides. */
    public static final String HEADER = "/multistream/1.0.0";
    /** The answer to a protocol this side does not speak. */
    public static final String NA = "na";
    /** Largest message accepted, newline included. */
    public static final int MAX_MESSAGE = 1024;

    private Multistream() {
    }

    /**
     * Appends one message.
     *
     * @param out where to write
     * @param text the protocol id, header or {@code na}, without the newline
     */
    public static void write(ByteBuf out, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length + 1 > MAX_MESSAGE || text.indexOf('\n') >= 0 || bytes.length == 0) {
            throw new IllegalArgumentException("not a valid multistream protocol id: \"" + text + "\"");
        }
        LengthPrefixed.writeLength(out, bytes.length + 1);
        out.writeBytes(bytes);
        out.writeByte('\n');
    }

    /** @return the number of bytes {@link #write} appends for {@code text} */
    public static int encodedLength(String text) {
        int n = text.getBytes(StandardCharsets.UTF_8).length + 1;
        return LengthPrefixed.lengthOfLength(n) + n;
    }

    /**
     * Reads one message if it is complete.
     *
     * @param in the bytes received so far
     * @return the text without its newline, or {@code null} when more bytes are needed (the reader
     *     index is then unchanged)
     * @throws TransportException {@link Kind#PROTOCOL_VIOLATION} for a message that is too long,
     *     empty, lacks its newline or is not UTF-8
     */
    public static String read(ByteBuf in) {
        ByteBuf message;
        try {
            message = LengthPrefixed.read(in, MAX_MESSAGE, "multistream message");
        } catch (TransportException e) {
            throw new TransportException(Kind.PROTOCOL_VIOLATION, e.getMessage(), e);
        }
        if (message == null) {
            return null;
        }
        try {
            int n = message.readableBytes();
            if (n == 0 || message.getByte(message.readerIndex() + n - 1) != '\n') {
                throw new TransportException(Kind.PROTOCOL_VIOLATION, "multistream message does not end in a newline");
            }
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(message.nioBuffer(message.readerIndex(), n - 1)).toString();
            } catch (CharacterCodingException e) {
                throw new TransportException(Kind.PROTOCOL_VIOLATION, "multistream message is not UTF-8", e);
            }
        } finally {
            message.release();
        }
    }

    /**
     * Checks that a received header is the one we speak.
     *
     * @param header what the remote sent first
     * @throws TransportException {@link Kind#PROTOCOL_REFUSED} for another multistream version
     */
    public static void requireHeader(String header) {
        if (!HEADER.equals(header)) {
            throw new TransportException(Kind.PROTOCOL_REFUSED, "remote speaks \"" + printable(header)
                    + "\", not " + HEADER);
        }
    }

    /** @return the text cut to 64 characters with control characters replaced, safe for a message or log */
    public static String printable(String text) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), 64));
        for (int i = 0; i < text.length() && i < 64; i++) {
            char c = text.charAt(i);
            out.append(c < 0x20 || c == 0x7F ? '?' : c);
        }
        return text.length() > 64 ? out + "…" : out.toString();
    }
}
