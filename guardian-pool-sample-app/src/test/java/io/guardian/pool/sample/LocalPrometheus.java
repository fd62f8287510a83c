package io.guardian.pool.sample;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Prometheus server (Debian's {@code prometheus} package, the same that brings promtool)
 * on 127.0.0.1, scraping one target every second, for tests that run PromQL against what it
 * stored. Its data and log live in a directory the test owns; {@link #close()} stops it.
 */
final class LocalPrometheus implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Process process;
    private final URI api;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * Starts the server.
     *
     * @param binary the prometheus executable
     * @param dir an empty directory for its configuration, data and log
     * @param target host:port of the application to scrape
     * @param metricsPath the path of its metrics, e.g. /actuator/prometheus
     */
    LocalPrometheus(Path binary, Path dir, String target, String metricsPath) throws IOException {
        int port = freeLoopbackPort();
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, String.join("\n",
                "global:",
                "  scrape_interval: 1s",
                "  evaluation_interval: 1s",
                "scrape_configs:",
                "  - job_name: sample",
                "    metrics_path: " + metricsPath,
                "    static_configs:",
                "      - targets: ['" + target + "']",
                ""));
        log = dir.resolve("prometheus.log");
        process = new ProcessBuilder(binary.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        api = URI.create("http://127.0.0.1:" + port + "/api/v1/");
    }

    /**
     * Runs an instant query.
     *
     * @param promql the expression
     * @return the result's {@code data.result} (a vector's samples), or a missing node while the
     *     server is not answering yet
     * @throws IllegalStateException if Prometheus rejects the query
     */
    JsonNode query(String promql) throws IOException, InterruptedException {
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(api.resolve("query?query="
                    + URLEncoder.encode(promql, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            if (!process.isAlive()) {
                throw new IllegalStateException("prometheus exited: " + log(), e);
            }
            return JSON.missingNode(); // still starting
        }
        JsonNode body = JSON.readTree(response.body());
        if (!"success".equals(body.path("status").asString())) {
            throw new IllegalStateException("prometheus rejected " + promql + ": " + response.body());
        }
        return body.path("data").path("result");
    }

    /** @return what the server logged so far, for failure messages */
    String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
