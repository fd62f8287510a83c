package io.guardian.pool.spring.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.read.ListAppender;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import io.guardian.pool.spring.LoopbackPeers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.logging.LoggingApplicationListener;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;

/**
 * A full Spring Boot start-up with the identity in a key file, real traffic to loopback peers,
 * every Actuator endpoint that shows configuration or pool state, the pool's write operations,
 * and shutdown: neither any HTTP response nor any log line (captured by a Logback
 * {@link ListAppender} from right after Boot configured logging, with Guardian's loggers at TRACE)
 * contains the private key in any text form ({@link KeyForms}).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ActuatorAndLogSecretsTest {

    @TempDir
    Path dir;

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

    @Test
    void fullStartUpWithAKeyFileNeverShowsThePrivateKeyInActuatorResponsesOrLogs() throws Exception {
        PeerIdentity identity = PeerIdentity.generate();
        Path keyFile = dir.resolve("node.key");
        identity.save(keyFile);
        LogCapture logs = new LogCapture();
        Map<String, String> responses = new LinkedHashMap<>();
        try (LoopbackPeers peers = new LoopbackPeers();
                ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
                        .listeners(logs)
                        .properties("server.address=127.0.0.1", "server.port=0",
                                "management.endpoints.web.exposure.include=*",
                                "management.endpoint.health.show-details=always",
                                "management.endpoint.env.show-values=always",
                                "management.endpoint.configprops.show-values=always",
                                "guardian.pool.identity.key-file=" + keyFile,
                                "guardian.pool.health-check-interval=200ms",
                                "guardian.pool.metrics.per-peer=true",
                                "logging.level.io.guardian=TRACE",
                                "logging.level.io.netty=DEBUG",
                                "logging.level.org.springframework.boot.actuate=DEBUG")
                        .run()) {
            OptimizedConnectionPool pool = context.getBean(OptimizedConnectionPool.class);
            assertThat(pool.localPeerId()).isEqualTo(identity.peerId());
            LoopbackPeers.Peer used = peers.start();
            try (PeerConnection lease = pool.acquire(used.id(), used.address())) {
                lease.request("hello".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));
            }
            PeerId broken = PeerIdentity.generate().peerId();
            for (int i = 0; i < pool.config().effectiveFailureThreshold(); i++) {
                pool.recordFailure(broken);
            }
            pool.checkHealth();

            String base = "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port")
                    + "/actuator";
            HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            for (String path : List.of("", "/connectionpool", "/connectionpool/" + used.id(),
                    "/connectionpool/" + broken, "/health", "/health/connectionPool", "/prometheus", "/metrics",
                    "/metrics/guardian.pool.connections", "/configprops", "/configprops/guardian.pool", "/env",
                    "/env/guardian.pool.identity.key-file", "/beans", "/conditions", "/loggers", "/info",
                    "/scheduledtasks", "/mappings")) {
                responses.put("GET " + path, send(http, HttpRequest.newBuilder(URI.create(base + path)).GET()));
            }
            for (String action : List.of("reset-breaker", "evict")) {
                String path = "/connectionpool/" + broken + "/" + action;
                responses.put("POST " + path, send(http, HttpRequest.newBuilder(URI.create(base + path))
                        .POST(HttpRequest.BodyPublishers.noBody())));
            }
        } finally {
            logs.detach();
        }

        assertThat(responses.get("GET /connectionpool")).startsWith("200 ").contains(identity.peerId().toBase58());
        assertThat(responses.get("GET /env")).as("env shows the key file's path, not its content")
                .startsWith("200 ").contains(keyFile.getFileName().toString());
        List<String> lines = logs.lines();
        assertThat(lines).as("the capture saw the start-up")
                .anyMatch(l -> l.contains("Guardian Pool identity: PeerId " + identity.peerId()));
        assertThat(lines).as("and TRACE/DEBUG lines of the pool's traffic").anyMatch(l -> l.startsWith("DEBUG")
                || l.startsWith("TRACE"));

        KeyForms secret = KeyForms.of(identity);
        List<String> leaks = new ArrayList<>();
        responses.forEach((request, body) -> {
            List<String> found = secret.foundIn(body);
            if (!found.isEmpty()) {
                leaks.add(request + " returned " + found);
            }
        });
        for (String line : lines) {
            List<String> found = secret.foundIn(line);
            if (!found.isEmpty()) {
                leaks.add("log line " + found + ": " + line.substring(0, Math.min(160, line.length())));
            }
        }
        writeFigures(responses, lines, leaks);
        assertThat(leaks).as("private key material in %d responses and %d log lines", responses.size(), lines.size())
                .isEmpty();
    }

    /** {@code target/reliability/actuator-secrets.txt}: what was scanned, for RELIABILITY.md. */
    private static void writeFigures(Map<String, String> responses, List<String> lines, List<String> leaks)
            throws java.io.IOException {
        StringBuilder out = new StringBuilder("test: ActuatorAndLogSecretsTest\n");
        out.append("responsesScanned: ").append(responses.size()).append('\n');
        responses.forEach((request, body) -> out.append("  ").append(request).append(": status ")
                .append(body, 0, 3).append(", ").append(body.length() - 4).append(" chars\n"));
        out.append("logLinesScanned: ").append(lines.size()).append('\n');
        java.util.Map<String, Long> byLevel = new java.util.TreeMap<>();
        lines.forEach(l -> byLevel.merge(l.substring(0, l.indexOf(' ')), 1L, Long::sum));
        out.append("logLinesByLevel: ").append(byLevel).append('\n');
        out.append("keyFound: ").append(leaks.size()).append('\n');
        Path target = Path.of("target", "reliability");
        java.nio.file.Files.createDirectories(target);
        java.nio.file.Files.writeString(target.resolve("actuator-secrets.txt"), out);
    }

    private static String send(HttpClient http, HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }

    /**
     * Attaches a {@link ListAppender} to the root logger right after Boot's logging system has
     * initialised (which replaces whatever was attached before), and takes the console appender
     * off meanwhile so that TRACE output does not flood the build log.
     */
    static final class LogCapture implements ApplicationListener<ApplicationEnvironmentPreparedEvent>, Ordered {
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
        private final List<Appender<ILoggingEvent>> detached = new ArrayList<>();
        private Logger root;

        @Override
        public int getOrder() {
            return LoggingApplicationListener.DEFAULT_ORDER + 1;
        }

        @Override
        public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
            LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
            root = context.getLogger(Logger.ROOT_LOGGER_NAME);
            for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext();) {
                detached.add(it.next());
            }
            detached.forEach(root::detachAppender);
            appender.setContext(context);
            appender.start();
            root.addAppender(appender);
        }

        List<String> lines() {
            List<String> out = new ArrayList<>();
            synchronized (appender.list) {
                for (ILoggingEvent e : new ArrayList<>(appender.list)) {
                    String line = e.getLevel() + " " + e.getLoggerName() + " - " + e.getFormattedMessage()
                            + " " + e.getMDCPropertyMap();
                    out.add(e.getThrowableProxy() == null ? line
                            : line + "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy()));
                }
            }
            return out;
        }

        void detach() {
            if (root != null) {
                root.detachAppender(appender);
                detached.forEach(root::addAppender);
            }
        }
    }
}
