package io.guardian.pool.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.peer.PeerId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.client.EntityExchangeResult;
import tools.jackson.databind.JsonNode;

/**
 * The sample as a newcomer meets it, over real HTTP: the dashboard is served, the pool's
 * endpoints show live traffic from the workload, and stopping a demo peer opens its breaker while
 * starting it again closes it, with the events to prove it.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SampleAppSmokeTest extends LiveSample {

    private static final Duration LIVE = Duration.ofSeconds(30);

    @Test
    void dashboardIsServedAtTheRoot() {
        String page = http().get().uri("/").exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
                .returnResult(String.class).getResponseBody();
        assertThat(page).contains("Guardian Pool", "id=\"peers-body\"", "id=\"latency-chart\"", "dashboard.js");
        http().get().uri("/dashboard.js").exchange().expectStatus().isOk();
        http().get().uri("/dashboard.css").exchange().expectStatus().isOk();
    }

    @Test
    void connectionPoolEndpointShowsLiveTraffic() {
        await().atMost(LIVE).untilAsserted(() -> {
            JsonNode stats = getJson("/actuator/connectionpool").path("stats");
            assertThat(stats.path("connectionsCreated").asLong()).isPositive();
            assertThat(stats.path("connectionsReused").asLong()).isPositive();
            assertThat(stats.path("reuseRate").asDouble()).isGreaterThan(0.0).isLessThanOrEqualTo(1.0);
            assertThat(stats.path("globalAvgLatencyMs").asDouble()).isPositive();
        });
        JsonNode pool = getJson("/actuator/connectionpool");
        assertThat(pool.path("peers").size()).isPositive();
        assertThat(pool.path("localPeerId").asString()).startsWith("12D3KooW");
        assertThat(pool.path("config").path("max-connections-per-peer").asInt()).isPositive();
    }

    @Test
    void healthIncludesTheConnectionPool() {
        await().atMost(LIVE).untilAsserted(() -> {
            JsonNode health = getJson("/actuator/health");
            assertThat(health.path("status").asString()).isEqualTo("UP");
            JsonNode pool = health.path("components").path("connectionPool");
            assertThat(pool.path("status").asString()).isEqualTo("UP");
            assertThat(pool.path("details").size()).isPositive();
        });
    }

    @Test
    void prometheusScrapeHasNonZeroPoolMeters() {
        await().atMost(LIVE).untilAsserted(() -> {
            String scrape = http().get().uri("/actuator/prometheus").accept(MediaType.TEXT_PLAIN).exchange()
                    .expectStatus().isOk()
                    .returnResult(String.class).getResponseBody();
            List<String> samples = scrape.lines().filter(l -> l.startsWith("guardian_pool_"))
                    .collect(Collectors.toList());
            assertThat(samples).isNotEmpty();
            assertThat(samples).anyMatch(l -> l.startsWith("guardian_pool_connections_established") && value(l) > 0);
            assertThat(samples).anyMatch(l -> l.startsWith("guardian_pool_connections_reused") && value(l) > 0);
        });
    }

    @Test
    void everyDemoPeerIsListedRunningOnLoopback() {
        JsonNode peers = getJson("/api/peers");
        assertThat(peers.size()).isEqualTo(5);
        for (JsonNode peer : peers) {
            assertThat(peer.path("running").asBoolean()).isTrue();
            assertThat(peer.path("multiaddr").asString())
                    .startsWith("/ip4/127.0.0.1/tcp/")
                    .endsWith("/p2p/" + peer.path("peerId").asString());
        }
    }

    @Test
    void sendGoesThroughThePoolAndReturnsThePeersReply() {
        EntityExchangeResult<String> result = http().post().uri("/api/peers/peer-1/send")
                .contentType(MediaType.TEXT_PLAIN).body("hello".getBytes(StandardCharsets.UTF_8))
                .exchange()
                .expectStatus().isOk()
                .returnResult(String.class);
        assertThat(result.getResponseBody()).isEqualTo("peer-1: hello");
        // The PeerId works as the id as well.
        http().post().uri("/api/peers/" + peerIdOf("peer-2").toBase58() + "/send")
                .contentType(MediaType.TEXT_PLAIN).body("hi".getBytes(StandardCharsets.UTF_8))
                .exchange()
                .expectStatus().isOk()
                .expectBody(String.class).isEqualTo("peer-2: hi");
    }

    @Test
    void unknownPeerAndEmptyMessageGetClearClientErrors() {
        String problem = http().post().uri("/api/peers/peer-99/send")
                .contentType(MediaType.TEXT_PLAIN).body("x".getBytes(StandardCharsets.UTF_8))
                .exchange()
                .expectStatus().isNotFound()
                .returnResult(String.class).getResponseBody();
        assertThat(JSON.readTree(problem).path("detail").asString()).contains("peer-99", "peer-1");
        http().post().uri("/api/peers/peer-99/stop").exchange().expectStatus().isNotFound();
        http().post().uri("/api/peers/peer-1/send").contentType(MediaType.TEXT_PLAIN).exchange()
                .expectStatus().isBadRequest();
    }

    @Test
    void stoppingAPeerOpensItsBreakerAndStartingItClosesIt() {
        String name = "peer-3";
        PeerId peer = peerIdOf(name);
        Instant stoppedAt = Instant.now();
        JsonNode stopped = JSON.readTree(http().post().uri("/api/peers/" + name + "/stop").exchange()
                .expectStatus().isOk().returnResult(String.class).getResponseBody());
        assertThat(stopped.path("running").asBoolean()).isFalse();

        // Each poll sends through the API too, so the breaker does not depend on the workload's turn.
        await().atMost(LIVE).pollInterval(Duration.ofMillis(300)).until(() -> {
            int status = sendStatus(name);
            assertThat(status).isNotEqualTo(HttpStatus.OK.value());
            return events.received(ConnectionEvent.CircuitBreakerOpen.class, peer, stoppedAt);
        });
        JsonNode view = getJson("/api/peers/" + name);
        assertThat(view.path("breakerState").asString()).isIn("OPEN", "HALF_OPEN");
        assertThat(view.path("failureCount").asInt()).isPositive();

        Instant startedAt = Instant.now();
        http().post().uri("/api/peers/" + name + "/start").exchange().expectStatus().isOk();
        await().atMost(LIVE).pollInterval(Duration.ofMillis(300)).until(() -> {
            sendStatus(name);
            return events.received(ConnectionEvent.CircuitBreakerClosed.class, peer, startedAt);
        });
        assertThat(events.received(ConnectionEvent.CircuitBreakerHalfOpen.class, peer, stoppedAt)).isTrue();
        assertThat(getJson("/api/peers/" + name).path("breakerState").asString()).isEqualTo("CLOSED");
        http().post().uri("/api/peers/" + name + "/send").contentType(MediaType.TEXT_PLAIN)
                .body("back".getBytes(StandardCharsets.UTF_8)).exchange()
                .expectStatus().isOk()
                .expectBody(String.class).isEqualTo(name + ": back");
        // The dashboard's event list saw the same story.
        JsonNode recent = getJson("/api/events");
        List<String> kinds = java.util.stream.StreamSupport.stream(recent.spliterator(), false)
                .filter(e -> e.path("peerId").asString().equals(peer.toBase58()))
                .map(e -> e.path("kind").asString())
                .collect(Collectors.toList());
        assertThat(kinds).contains("CircuitBreakerOpen", "CircuitBreakerClosed");
    }

    @Test
    void sendToAnOpenBreakerAnswers503WithRetryAfter() {
        String name = "peer-4";
        PeerId peer = peerIdOf(name);
        Instant stoppedAt = Instant.now();
        http().post().uri("/api/peers/" + name + "/stop").exchange().expectStatus().isOk();
        await().atMost(LIVE).pollInterval(Duration.ofMillis(300)).until(() -> {
            sendStatus(name);
            return events.received(ConnectionEvent.CircuitBreakerOpen.class, peer, stoppedAt);
        });
        // Statuses while stopped: 503 while the breaker rejects, 502 when a probe's dial is refused.
        await().atMost(LIVE).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            EntityExchangeResult<String> r = http().post().uri("/api/peers/" + name + "/send")
                    .contentType(MediaType.TEXT_PLAIN).body("x".getBytes(StandardCharsets.UTF_8)).exchange()
                    .returnResult(String.class);
            assertThat(r.getStatus().value()).isEqualTo(503);
            assertThat(r.getResponseHeaders().getFirst("Retry-After")).isNotBlank();
            JsonNode problem = JSON.readTree(r.getResponseBody());
            assertThat(problem.path("exception").asString()).isEqualTo("CircuitBreakerOpenException");
            assertThat(problem.path("detail").asString()).contains(peer.toBase58());
        });
    }

    private int sendStatus(String name) {
        return http().post().uri("/api/peers/" + name + "/send").contentType(MediaType.TEXT_PLAIN)
                .body("probe".getBytes(StandardCharsets.UTF_8)).exchange()
                .returnResult(String.class).getStatus().value();
    }

    /** The value of one Prometheus sample line: the last field. */
    private static double value(String line) {
        String[] fields = line.trim().split("\\s+");
        return Double.parseDouble(Arrays.asList(fields).get(fields.length - 1));
    }
}
