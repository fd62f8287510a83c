package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.JsonPath;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import io.guardian.pool.spring.LoopbackPeers.Peer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.client.RestTestClient;

/**
 * {@code /actuator/connectionpool}, {@code /actuator/health} and {@code /actuator/prometheus}
 * over real HTTP on 127.0.0.1, with the pool dialing real loopback peers.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        classes = ConnectionPoolEndpointWebTest.App.class,
        properties = {
            "server.address=127.0.0.1",
            "management.endpoints.web.exposure.include=connectionpool,health,prometheus",
            "management.endpoint.health.show-details=always",
            // The tests run health passes themselves, so what they read does not race a schedule.
            "guardian.pool.health.enabled=false",
            "guardian.pool.metrics.per-peer=true",
        })
@Timeout(120)
class ConnectionPoolEndpointWebTest {

    private static final byte[] PING = "ping".getBytes(StandardCharsets.US_ASCII);
    private static final List<String> ORIGINAL_STATS = List.of("activeConnections", "pooledConnections",
            "connectionsCreated", "connectionsReused", "connectionsFailed", "connectionsTimeout", "avgConnectionTimeMs",
            "reuseRate", "totalBandwidthBps", "globalAvgLatencyMs");

    private static final LoopbackPeers PEERS = new LoopbackPeers();
    private static final PeerIdentity IDENTITY = PeerIdentity.generate();

    @TempDir
    static Path dir;

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

    @DynamicPropertySource
    static void keyFile(DynamicPropertyRegistry registry) {
        registry.add("guardian.pool.identity.key-file", () -> {
            Path file = dir.resolve("node.key");
            IDENTITY.save(file);
            return file.toString();
        });
    }

    @LocalServerPort
    int port;

    @Autowired
    OptimizedConnectionPool pool;

    private RestTestClient http;

    @BeforeEach
    void client() {
        http = RestTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port + "/actuator").build();
    }

    @AfterAll
    static void stopPeers() {
        PEERS.close();
    }

    @Test
    void thePoolListingHasTheOriginalStatsAndEachPeersBreakerAndScore() {
        Peer used = usedAndMeasuredPeer();
        PeerId broken = brokenPeer();

        String json = get("/connectionpool", 200);

        assertThat(map(json, "$.stats")).containsKeys(ORIGINAL_STATS.toArray(String[]::new));
        assertThat(integer(json, "$.stats.connectionsCreated")).isPositive();
        assertThat(text(json, "$.localPeerId")).isEqualTo(IDENTITY.peerId().toBase58());
        assertThat(integer(json, "$.config['max-connections-per-peer']")).isEqualTo(8);
        assertThat(text(json, "$.config.handshake['protocol-version']")).isEqualTo("guardian-db/1.1");
        assertThat(list(json, peer(used.id(), "circuitBreaker.state"))).containsExactly("CLOSED");
        assertThat(list(json, peer(used.id(), "healthScore")))
                .singleElement().isInstanceOfSatisfying(Number.class, s -> assertThat(s.doubleValue()).isBetween(0.0, 1.0));
        assertThat(list(json, peer(used.id(), "health.currentLatencyMs")))
                .singleElement().isInstanceOf(Number.class);
        assertThat(list(json, peer(broken, "circuitBreaker.state"))).containsExactly("OPEN");
        assertThat(list(json, peer(broken, "circuitBreaker.failureCount")))
                .containsExactly(pool.config().effectiveFailureThreshold());
        assertThat(list(json, "$.peers[*].connections")).as("listing leaves them out").isEmpty();
        assertThat(integer(json, "$.peerCount")).isEqualTo(pool.peers().size());
        assertThat(text(json, "$.name")).isEqualTo("guardianPool");
        assertThat(list(json, "$.pools[*]")).containsExactly("guardianPool");
    }

    @Test
    void aPoolIsNamedByAQueryParameterAndAnUnknownNameIsABadRequest() {
        Peer used = usedAndMeasuredPeer();
        assertThat(text(get("/connectionpool?pool=guardianPool", 200), "$.name")).isEqualTo("guardianPool");
        assertThat(text(get("/connectionpool/" + used.id() + "?pool=guardianPool", 200), "$.peerId"))
                .isEqualTo(used.id().toBase58());
        http.get().uri("/connectionpool?pool=nope").exchange().expectStatus().isBadRequest();
        http.get().uri("/connectionpool/" + used.id() + "?pool=nope").exchange().expectStatus().isBadRequest();
    }

    @Test
    void onePeerShowsItsConnectionsAndAnUnknownOneIsNotFound() {
        Peer used = usedAndMeasuredPeer();

        String json = get("/connectionpool/" + used.id(), 200);
        assertThat(text(json, "$.peerId")).isEqualTo(used.id().toBase58());
        assertThat(text(json, "$.circuitBreaker.state")).isEqualTo("CLOSED");
        assertThat(list(json, "$.connections[*].connectionId")).hasSize(1);
        assertThat(list(json, "$.connections[*].status")).containsExactly("HEALTHY");

        PeerId unknown = PeerIdentity.generate().peerId();
        http.get().uri("/connectionpool/" + unknown).exchange().expectStatus().isNotFound();
        http.get().uri("/connectionpool/not-a-peer-id").exchange().expectStatus().isBadRequest();
        assertThat(pool.peer(unknown)).isEmpty();
    }

    @Test
    void actingOnAnUnknownPeerIsNotFoundAndCreatesNoPeer() {
        PeerId unknown = PeerIdentity.generate().peerId();
        post("/connectionpool/" + unknown + "/evict", 404);
        post("/connectionpool/" + unknown + "/reset-breaker", 404);
        assertThat(pool.peer(unknown)).isEmpty();
        post("/connectionpool/not-a-peer-id/evict", 400);
        post("/connectionpool/" + unknown + "/frobnicate", 400);
    }

    @Test
    void evictAndResetBreakerActOnAKnownPeer() {
        Peer used = usedAndMeasuredPeer();
        assertThat(pool.peer(used.id()).orElseThrow().idle()).isEqualTo(1);
        String evicted = post("/connectionpool/" + used.id() + "/evict", 200);
        assertThat(text(evicted, "$.action")).isEqualTo("evict");
        assertThat(list(evicted, "$.pools[*]")).containsExactly("guardianPool");
        assertThat(pool.peer(used.id()).map(p -> p.idle()).orElse(0)).isZero();

        PeerId broken = brokenPeer();
        String reset = post("/connectionpool/" + broken + "/reset-breaker", 200);
        assertThat(text(reset, "$.peer.circuitBreaker.state")).isEqualTo("CLOSED");
        assertThat(pool.peer(broken).orElseThrow().circuitBreaker().state()).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void healthIsUpWithOpenBreakersListedInItsDetails() {
        PeerId broken = brokenPeer();
        String json = get("/health", 200);
        assertThat(text(json, "$.components.connectionPool.status")).isEqualTo("UP");
        assertThat(map(json, "$.components.connectionPool.details.openCircuitPeers"))
                .containsEntry(broken.toBase58(), "OPEN");
        assertThat(integer(json, "$.components.connectionPool.details.openCircuits")).isPositive();
    }

    @Test
    void noPrivateKeyMaterialAppearsInAnyResponse() {
        Peer used = usedAndMeasuredPeer();
        brokenPeer();
        String all = get("/connectionpool", 200) + get("/connectionpool/" + used.id(), 200) + get("/health", 200)
                + get("/prometheus", 200);
        assertThat(all).contains(IDENTITY.peerId().toBase58());
        assertThat(SecretForms.of(IDENTITY)).allSatisfy(secret -> assertThat(all).doesNotContain(secret));
    }

    @Test
    void thePrometheusScrapeHasTheGuardianPoolFamilies() {
        Peer used = usedAndMeasuredPeer();
        String series = "guardian_pool_peer_health_score{peer=\"" + used.id() + "\",pool=\"guardianPool\"}";
        // A new peer's series are added when its Connected event is delivered, on the event thread.
        String scrape = await().atMost(Duration.ofSeconds(15)).until(() -> get("/prometheus", 200),
                text -> text.contains(series));
        // Every series carries the pool's bean name (labels in alphabetical order).
        String pool = "pool=\"guardianPool\"";
        assertThat(scrape).contains("guardian_pool_connections{" + pool + ",state=\"active\"}",
                "guardian_pool_connections{" + pool + ",state=\"idle\"}",
                "guardian_pool_connections{" + pool + ",state=\"pending\"}",
                "guardian_pool_connections_max{" + pool + "} ", "guardian_pool_connections_established_total{" + pool
                        + "} ",
                "guardian_pool_connections_reused_total{" + pool + "} ",
                "guardian_pool_connections_failed_total{" + pool + "} ",
                "guardian_pool_connections_timeout_total{" + pool + "} ",
                "guardian_pool_connections_rejected_total{" + pool + "} ",
                "guardian_pool_connections_evicted_total{" + pool + "} ", "guardian_pool_reuse_rate{" + pool + "} ",
                "guardian_pool_circuits_open{" + pool + "} ", "guardian_pool_peers_unhealthy{" + pool + "} ",
                "guardian_pool_connect_seconds_bucket{" + pool + ",", "guardian_pool_connect_seconds_count{" + pool + "} ",
                "guardian_pool_acquire_seconds_bucket{outcome=\"created\"," + pool + ",",
                "guardian_pool_acquire_seconds_count{outcome=\"reused\"," + pool + "}", series);
        assertThat(scrape.lines().filter(l -> l.startsWith("guardian_pool_")))
                .as("no guardian series without its pool").allMatch(l -> l.contains(pool));
    }

    /** A peer with one idle connection that carried a request and was measured by a health pass. */
    private Peer usedAndMeasuredPeer() {
        Peer peer = PEERS.start();
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address())) {
            assertThat(lease.request(PING, Duration.ofSeconds(5))).isEqualTo(PING);
        }
        pool.checkHealth();
        assertThat(pool.peer(peer.id()).orElseThrow().health()).isNotNull();
        return peer;
    }

    /** A peer never dialed whose breaker the application opened by reporting failures. */
    private PeerId brokenPeer() {
        PeerId id = PeerIdentity.generate().peerId();
        for (int i = 0; i < pool.config().effectiveFailureThreshold(); i++) {
            pool.recordFailure(id);
        }
        return id;
    }

    private static Map<String, Object> map(String json, String path) {
        return JsonPath.read(json, path);
    }

    private static List<Object> list(String json, String path) {
        return JsonPath.read(json, path);
    }

    private static Integer integer(String json, String path) {
        return JsonPath.read(json, path);
    }

    private static String text(String json, String path) {
        return JsonPath.read(json, path);
    }

    private static String peer(PeerId id, String field) {
        return "$.peers[?(@.peerId == '" + id.toBase58() + "')]." + field;
    }

    private String get(String path, int status) {
        return new String(http.get().uri(path).exchange().expectStatus().isEqualTo(status).expectBody()
                .returnResult().getResponseBody(), StandardCharsets.UTF_8);
    }

    private String post(String path, int status) {
        byte[] body = http.post().uri(path).exchange().expectStatus().isEqualTo(status).expectBody()
                .returnResult().getResponseBody();
        return body == null ? "" : new String(body, StandardCharsets.UTF_8);
    }
}
