package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.spring.standalone.StarterOnlyApp;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.json.JsonParserFactory;

/**
 * The packaged starter jar, as an application gets it: the IDE metadata with descriptions, the
 * auto-configuration's condition metadata, the auto-configuration and failure analyzer
 * registrations, and an application that has nothing but the starter reading its
 * {@code application.yml}. Runs after {@code package}.
 */
class StarterJarIT {

    /** Bound on the child application's whole run: start, print, close. */
    private static final long CHILD_SECONDS = 60;

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

    @Test
    void theJarCarriesTheAutoConfigurationConditionMetadata() throws IOException {
        // Written by spring-boot-autoconfigure-processor: Boot reads it to skip an auto-configuration
        // whose @ConditionalOnClass fails without loading the class (and its imports).
        Properties metadata = new Properties();
        metadata.load(new StringReader(entry("META-INF/spring-autoconfigure-metadata.properties")));
        String auto = GuardianPoolAutoConfiguration.class.getName();
        assertThat(metadata.getProperty(auto + ".ConditionalOnClass")).isEqualTo(OptimizedConnectionPool.class.getName());
        assertThat(metadata.getProperty(auto + ".AutoConfigureAfter"))
                .contains("org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration");
        assertThat(metadata.getProperty(auto)).as("the class itself is listed").isNotNull();
    }

    /**
     * A JVM of its own whose class path is the starter jar, its run-time dependencies (without
     * the optional ones) and a directory with an application class and {@code application.yml}:
     * what {@code start.spring.io} gives an application that picks only this starter. Before the
     * starter brought {@code spring-boot-starter} there was no SnakeYAML and start-up failed
     * ("Attempted to load Config resource 'class path resource [application.yml]' ... but snakeyaml
     * was not found on the classpath").
     */
    @Test
    void anApplicationWithOnlyTheStarterBindsItsApplicationYml(@TempDir Path app) throws Exception {
        String dependencies = Files.readString(Path.of(System.getProperty("starter.classpath"))).trim();
        Path classes = app.resolve("classes");
        String appClass = StarterOnlyApp.class.getName().replace('.', '/') + ".class";
        Path classFile = classes.resolve(appClass);
        Files.createDirectories(classFile.getParent());
        try (InputStream in = StarterOnlyApp.class.getClassLoader().getResourceAsStream(appClass)) {
            Files.write(classFile, in.readAllBytes());
        }
        Files.writeString(classes.resolve("application.yml"), String.join("\n",
                "guardian:",
                "  pool:",
                "    max-connections-per-peer: 3",
                "    connection-timeout: 7s",
                "    handshake:",
                "      max-frame-size: 2MB",
                "    endpoint:",
                "      max-peers: 12",
                ""));
        String classPath = String.join(File.pathSeparator, classes.toString(), jar.toString(), dependencies);
        Path output = app.resolve("out.txt");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath, StarterOnlyApp.class.getName())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        boolean finished = child.waitFor(CHILD_SECONDS, TimeUnit.SECONDS);
        if (!finished) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String out = Files.readString(output);
        assertThat(finished).as("the application ran within %ss:%n%s", CHILD_SECONDS, out).isTrue();
        assertThat(child.exitValue()).as("exit status; output:%n%s", out).isZero();
        Map<String, String> printed = printed(out);
        assertThat(printed).as(out)
                .containsEntry("present.org.yaml.snakeyaml.Yaml", "true")
                .containsEntry("present.io.micrometer.core.instrument.MeterRegistry", "false")
                .containsEntry("present.org.springframework.boot.actuate.endpoint.annotation.Endpoint", "false")
                .containsEntry("present.org.springframework.retry.support.RetryTemplate", "false")
                .containsEntry("bound.max-connections-per-peer", "3")
                .containsEntry("bound.handshake.max-frame-size", "2097152B")
                .containsEntry("bound.endpoint.max-peers", "12")
                .containsEntry("config.maxConnectionsPerPeer", "3")
                .containsEntry("config.connectionTimeout", "PT7S")
                .containsEntry("pool.beans", "1");
    }

    /** The child's {@code key=value} lines; log lines (which hold no '=' at their start) are skipped. */
    private static Map<String, String> printed(String out) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : out.lines().toList()) {
            int eq = line.indexOf('=');
            if (line.matches("^(bound|config|pool|present)\\.[^ ]*=.*")) {
                values.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return values;
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
