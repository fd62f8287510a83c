package io.guardian.pool.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.http.MediaType;

/**
 * The pool's meters as Prometheus scrapes them pass Prometheus's own linter,
 * {@code promtool check metrics} (Debian's {@code prometheus} package): names, units, HELP and
 * TYPE lines, counter suffixes. Only the {@code guardian_pool_*} families are checked; Boot's own
 * JVM meters trip lint rules that are not ours to fix. A missing promtool fails the test with the
 * package to install ({@code .ci/run} installs it on CI).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PrometheusLintTest extends LiveSample {

    private static final String PROMTOOL = System.getProperty("sample.promtool", "/usr/bin/promtool");

    @Test
    void guardianPoolFamiliesPassPromtoolCheckMetrics() throws Exception {
        if (!Files.isExecutable(Path.of(PROMTOOL))) {
            fail(PROMTOOL + " is missing: this test needs Debian's prometheus package for promtool "
                    + "(apt-get install -y prometheus; .ci/run installs it)");
        }
        String families = await().atMost(Duration.ofSeconds(30)).until(this::guardianPoolFamilies,
                text -> text.lines().anyMatch(l -> l.startsWith("guardian_pool_connections_reused")));
        assertThat(families.lines().filter(l -> l.startsWith("# TYPE ")).count())
                .as("guardian_pool_* families in the scrape").isGreaterThanOrEqualTo(5);

        Process promtool = new ProcessBuilder(PROMTOOL, "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = promtool.getOutputStream()) {
            in.write(families.getBytes(StandardCharsets.UTF_8));
        }
        String lint = readAll(promtool.getInputStream());
        assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).as("promtool finished").isTrue();
        assertThat(lint).as("promtool check metrics output for:%n%s", families).isBlank();
        assertThat(promtool.exitValue()).as("promtool exit code; output: %s", lint).isZero();
    }

    /** The scrape's guardian_pool_* families: their HELP and TYPE lines and their samples. */
    private String guardianPoolFamilies() {
        String scrape = http().get().uri("/actuator/prometheus")
                .accept(MediaType.parseMediaType("text/plain;version=0.0.4"))
                .exchange()
                .expectStatus().isOk()
                .returnResult(String.class).getResponseBody();
        List<String> lines = scrape.lines()
                .filter(l -> l.startsWith("guardian_pool_") || l.startsWith("# HELP guardian_pool_")
                        || l.startsWith("# TYPE guardian_pool_"))
                .collect(Collectors.toList());
        return String.join("\n", lines) + "\n";
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.UTF_8);
    }
}
