package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.json.JsonParserFactory;

/**
 * The packaged starter jar, as an application gets it: the IDE metadata with descriptions, and
 * the auto-configuration and failure analyzer registrations. Runs after {@code package}.
 */
class StarterJarIT {

    private Path jar;

    /**
     * Failsafe names the jar. A {@code -Dtest=...} pattern can also hand this class to surefire,
     * before there is a jar: it is skipped there, and still runs under failsafe.
     */
    @BeforeEach
    void findJar() {
        String path = System.getProperty("starter.jar");
        assumeTrue(path != null, "runs under failsafe, after package");
        jar = Path.of(path);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theJarCarriesTheConfigurationMetadataWithDescriptions() throws IOException {
        String json = entry("META-INF/spring-configuration-metadata.json");
        List<Map<String, Object>> properties = (List<Map<String, Object>>) JsonParserFactory.getJsonParser()
                .parseMap(json).get("properties");
        assertThat(properties).filteredOn(p -> p.get("name").equals("guardian.pool.max-connections-per-peer"))
                .singleElement().satisfies(p -> {
                    assertThat((String) p.get("description")).contains("Most connections kept open to one peer");
                    assertThat(p.get("defaultValue")).isEqualTo(8);
                });
        assertThat(properties).filteredOn(p -> ((String) p.get("name")).startsWith("guardian.pool."))
                .hasSizeGreaterThanOrEqualTo(30)
                .allSatisfy(p -> assertThat((String) p.get("description")).as("%s", p.get("name")).isNotBlank());
    }

    @Test
    void theJarRegistersTheAutoConfigurationAndTheFailureAnalyzer() throws IOException {
        assertThat(entry("META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports").trim())
                .isEqualTo(GuardianPoolAutoConfiguration.class.getName());
        assertThat(entry("META-INF/spring.factories"))
                .contains("org.springframework.boot.diagnostics.FailureAnalyzer")
                .contains(GuardianPoolPropertyFailureAnalyzer.class.getName());
    }

    private String entry(String name) throws IOException {
        assertThat(jar).as("the starter jar (run through mvn verify)").exists();
        assertThat(Files.size(jar)).isPositive();
        try (JarFile file = new JarFile(jar.toFile())) {
            ZipEntry entry = file.getEntry(name);
            assertThat(entry).as("%s in %s", name, jar).isNotNull();
            try (InputStream in = file.getInputStream(entry)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
    }
}
