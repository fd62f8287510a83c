package io.guardian.pool.peer;

import io.guardian.pool.internal.codec.Varint;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Multiaddr text and binary forms, following go-multiaddr's string and byte codecs (see
 * {@link Multiaddr} for the choices). Errors are {@link IllegalArgumentException}s carrying the
 * reason; {@link Multiaddr} adds the address. Not API.
 */
final class MultiaddrCodec {

    /**
     * A decoded address. Internal value holder, never compared; arrays are owned by the
     * {@link Multiaddr} built from it.
     */
    record Decoded(byte[] bytes, MultiaddrProtocol[] protocols, byte[][] values, List<Multiaddr.Component> components,
            String text) {
    }

    private MultiaddrCodec() {
    }

    /** Text to bytes by go-multiaddr's rules; errors carry the reason only. */
    static byte[] encodeText(String text) {
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '/') {
            end--;
        }
        if (end == 0) {
            throw new IllegalArgumentException("empty multiaddr: an address has at least one /<protocol>");
        }
        if (text.charAt(0) != '/') {
            throw new IllegalArgumentException("a multiaddr must begin with '/'");
        }
        String[] parts = text.substring(1, end).split("/", -1);
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        MultiaddrProtocol previous = null;
        for (int i = 0; i < parts.length; i++) {
            String name = parts[i];
            MultiaddrProtocol p = MultiaddrProtocol.byName(name);
            if (p == null) {
                String hint = previous != null && !previous.hasValue() ? " (/" + previous.text + " takes no value)" : "";
                throw new IllegalArgumentException(name.isEmpty()
                        ? "empty protocol name in segment " + (i + 1) + " (two '/' in a row?)"
                        : "unknown protocol \"" + abbreviate(name) + "\"" + hint);
            }
            previous = p;
            Varint.write(p.code, out);
            if (!p.hasValue()) {
                continue;
            }
            if (i + 1 >= parts.length) {
                throw new IllegalArgumentException("/" + name + " needs a value, but the address ends after it");
            }
            String value;
            if (p.isPath()) {
                value = "/" + String.join("/", Arrays.asList(parts).subList(i + 1, parts.length));
                i = parts.length;
            } else {
                value = parts[++i];
            }
            byte[] encoded;
            try {
                encoded = p.codec.toBytes(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid value \"" + abbreviate(value) + "\" for /" + name + ": "
                        + e.getMessage(), e);
            }
            if (p.sizeBits == MultiaddrProtocol.Sizes.VARIABLE) {
                Varint.write(encoded.length, out);
            }
            out.write(encoded, 0, encoded.length);
        }
        return out.toByteArray();
    }

    static byte[] encode(List<MultiaddrProtocol> ps, List<byte[]> vs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < ps.size(); i++) {
            MultiaddrProtocol p = ps.get(i);
            Varint.write(p.code, out);
            byte[] v = vs.get(i);
            if (p.sizeBits == MultiaddrProtocol.Sizes.VARIABLE) {
                Varint.write(v.length, out);
            }
            if (v != null) {
                out.write(v, 0, v.length);
            }
        }
        return out.toByteArray();
    }

    /** Bytes to protocols, values and canonical text; errors carry the reason only. */
    static Decoded decode(byte[] bytes) {
        if (bytes.length == 0) {
            throw new IllegalArgumentException("empty multiaddr: an address has at least one protocol");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        List<MultiaddrProtocol> ps = new ArrayList<>();
        List<byte[]> vs = new ArrayList<>();
        List<Multiaddr.Component> cs = new ArrayList<>();
        StringBuilder text = new StringBuilder(bytes.length * 2);
        while (buf.hasRemaining()) {
            int offset = buf.position();
            long code;
            try {
                code = Varint.read(buf);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad protocol code at byte " + offset + ": " + e.getMessage(), e);
            }
            MultiaddrProtocol p = MultiaddrProtocol.byCode(code);
            if (p == null) {
                throw new IllegalArgumentException("unknown protocol code " + code + " at byte " + offset);
            }
            byte[] value = null;
            String valueText = "";
            if (p.hasValue()) {
                value = readValue(buf, p);
                try {
                    valueText = p.codec.toText(value);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("invalid /" + p.text + " value at byte " + offset + ": "
                            + e.getMessage(), e);
                }
            }
            if (p.isPath() && buf.hasRemaining()) {
                throw new IllegalArgumentException("/" + p.text + " at byte " + offset + " must be the last"
                        + " component: its text value runs to the end of the address");
            }
            ps.add(p);
            vs.add(value);
            cs.add(new Multiaddr.Component(p.text, p.code, valueText));
            text.append('/').append(p.text);
            if (!valueText.isEmpty()) {
                // A path value starts with '/' itself; go-multiaddr writes no second one.
                if (!(p.isPath() && valueText.charAt(0) == '/')) {
                    text.append('/');
                }
                text.append(valueText);
            }
        }
        return new Decoded(bytes, ps.toArray(new MultiaddrProtocol[0]), vs.toArray(new byte[0][]),
                Collections.unmodifiableList(cs), text.toString());
    }

    private static byte[] readValue(ByteBuffer buf, MultiaddrProtocol p) {
        int length;
        if (p.sizeBits > 0) {
            length = p.sizeBits / 8;
        } else {
            int at = buf.position();
            try {
                length = Varint.readInt(buf, "value length");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad /" + p.text + " value length at byte " + at + ": "
                        + e.getMessage(), e);
            }
        }
        if (length > buf.remaining()) {
            throw new IllegalArgumentException("/" + p.text + " value needs " + length + " bytes but only "
                    + buf.remaining() + " remain at byte " + buf.position());
        }
        byte[] value = new byte[length];
        buf.get(value);
        return value;
    }

    static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }
}
