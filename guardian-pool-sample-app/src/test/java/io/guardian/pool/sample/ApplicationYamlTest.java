package io.guardian.pool.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.YamlPropertiesFactoryBean;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.io.ClassPathResource;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sample's {@code application.yml} is the tuning reference users copy, so it must stay
 * complete and truthful as the starter grows: every {@code guardian.pool} and
 * {@code guardian.sample} property in the configuration metadata (generated from the properties
 * classes) appears in it, and each one shows its documented default unless its line says
 * {@code SAMPLE} and why.
 */
class ApplicationYamlTest {

    /** Keys with no default value that the file documents in a comment only. */
    /** Keys listed as comments: the identity file, and the listener (a set port would start one). */
    private static final List<String> COMMENTED = List.of("guardian.pool.identity.key-file", "guardian.pool.listener.");

    private static Map<String, JsonNode> metadata;
    private static Properties yaml;
    private static String yamlText;

    @BeforeAll
    static void load() throws IOException {
        metadata = new LinkedHashMap<>();
        JsonMapper json = JsonMapper.builder().build();
        for (URL url : Collections.list(ApplicationYamlTest.class.getClassLoader()
                .getResources("META-INF/spring-configuration-metadata.json"))) {
            try (InputStream in = url.openStream()) {
                for (JsonNode property : json.readTree(in).path("properties")) {
                    String name = property.path("name").asString();
                    if (name.startsWith("guardian.pool.") || name.startsWith("guardian.sample.")) {
                        metadata.put(name, property);
                    }
                }
            }
        }
        YamlPropertiesFactoryBean factory = new YamlPropertiesFactoryBean();
        factory.setResources(new ClassPathResource("application.yml"));
        yaml = Objects.requireNonNull(factory.getObject());
        try (InputStream in = new ClassPathResource("application.yml").getInputStream()) {
            yamlText = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void metadataDescribesThePoolAndTheSample() {
        assertThat(metadata.keySet())
                .as("configuration metadata on the class path (the starter and the sample must run "
                        + "spring-boot-configuration-processor)")
                .anyMatch(k -> k.startsWith("guardian.pool."))
                .anyMatch(k -> k.startsWith("guardian.sample."));
    }

    @Test
    void everyPropertyAppearsInApplicationYaml() {
        List<String> missing = new ArrayList<>();
        for (String name : metadata.keySet()) {
            if (COMMENTED.stream().anyMatch(c -> c.endsWith(".") ? name.startsWith(c) : name.equals(c))) {
                String leaf = name.substring(name.lastIndexOf('.') + 1);
                if (!Pattern.compile("(?m)^\\s*#\\s*" + Pattern.quote(leaf) + ":").matcher(yamlText).find()) {
                    missing.add(name + " (as a comment)");
                }
            } else if (!yaml.containsKey(name)) {
                missing.add(name);
            }
        }
        assertThat(missing).as("properties missing from application.yml").isEmpty();
    }

    @Test
    void everyValueIsTheDefaultUnlessMarkedSample() {
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : metadata.entrySet()) {
            JsonNode def = e.getValue().get("defaultValue");
            Object value = yaml.get(e.getKey());
            if (def == null || def.isNull() || value == null || sameValue(def.asString(), value.toString())) {
                continue;
            }
            String leaf = e.getKey().substring(e.getKey().lastIndexOf('.') + 1);
            boolean marked = Pattern.compile("(?m)^\\s*" + Pattern.quote(leaf) + ":.*#\\s*SAMPLE")
                    .matcher(yamlText).find();
            if (!marked) {
                wrong.add(e.getKey() + " is " + value + " but its default is " + def.asString()
                        + " (mark the line SAMPLE and say why, or use the default)");
            }
        }
        assertThat(wrong).isEmpty();
    }

    /** Equal as text, or as the same duration, size or number written differently. */
    static boolean sameValue(String a, String b) {
        if (a.equals(b)) {
            return true;
        }
        try {
            Duration x = DurationStyle.detectAndParse(a);
            Duration y = DurationStyle.detectAndParse(b);
            if (x.equals(y)) {
                return true;
            }
        } catch (IllegalArgumentException notDurations) {
            // try the next reading
        }
        try {
            if (DataSize.parse(a).equals(DataSize.parse(b))) {
                return true;
            }
        } catch (IllegalArgumentException notSizes) {
            // try the next reading
        }
        try {
            return new BigDecimal(a).compareTo(new BigDecimal(b)) == 0;
        } catch (NumberFormatException notNumbers) {
            return false;
        }
    }
}
