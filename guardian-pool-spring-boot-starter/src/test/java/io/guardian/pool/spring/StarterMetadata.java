package io.guardian.pool.spring;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.boot.json.JsonParserFactory;

/** The {@code guardian.pool.*} properties of the metadata the configuration processor wrote, by name. */
final class StarterMetadata {

    private StarterMetadata() {
    }

    /**
     * @return every {@code guardian.pool.*} property's metadata entry, sorted by name
     */
    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> poolProperties() {
        try {
            URL ours = Collections.list(StarterMetadata.class.getClassLoader()
                    .getResources("META-INF/spring-configuration-metadata.json")).stream()
                    .filter(url -> read(url).contains("\"guardian.pool\"")).findFirst()
                    .orElseThrow(() -> new AssertionError("the configuration processor wrote no metadata for guardian.pool"));
            Map<String, Object> metadata = JsonParserFactory.getJsonParser().parseMap(read(ours));
            Map<String, Map<String, Object>> byName = new TreeMap<>();
            for (Map<String, Object> p : (List<Map<String, Object>>) metadata.get("properties")) {
                String name = (String) p.get("name");
                if (name.startsWith("guardian.pool.")) {
                    byName.put(name, p);
                }
            }
            return byName;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(URL url) {
        try (InputStream in = url.openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + url, e);
        }
    }
}
