package io.guardian.pool.internal.libp2p.noise;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cacophony-format vector in {@code src/test/resources/conformance} (from mcginty/snow's cacophony vectors), read with a few regular
 * expressions: the file is flat (string fields and one array of payload/ciphertext pairs), and
 * core has no JSON library on its test classpath.
 */
final class NoiseVector {

    private static final Pattern FIELD = Pattern.compile("\"([a-z_]+)\"\\s*:\\s*\"([0-9a-fA-F]*)\"");
    private static final Pattern MESSAGE = Pattern.compile(
            "\\{\\s*\"payload\"\\s*:\\s*\"([0-9a-f]*)\"\\s*,\\s*\"ciphertext\"\\s*:\\s*\"([0-9a-f]*)\"\\s*}");

    final Map<String, byte[]> fields = new LinkedHashMap<>();
    final List<byte[][]> messages = new ArrayList<>();

    static NoiseVector load(String name) {
        String text;
        try (InputStream in = NoiseVector.class.getResourceAsStream("/conformance/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource conformance/" + name);
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        NoiseVector v = new NoiseVector();
        int messagesAt = text.indexOf("\"messages\"");
        Matcher f = FIELD.matcher(text.substring(0, messagesAt));
        while (f.find()) {
            v.fields.put(f.group(1), HexFormat.of().parseHex(f.group(2)));
        }
        Matcher m = MESSAGE.matcher(text.substring(messagesAt));
        while (m.find()) {
            v.messages.add(new byte[][] {HexFormat.of().parseHex(m.group(1)), HexFormat.of().parseHex(m.group(2))});
        }
        return v;
    }

    byte[] field(String name) {
        byte[] b = fields.get(name);
        if (b == null) {
            throw new IllegalStateException("the vector has no field " + name);
        }
        return b;
    }
}
