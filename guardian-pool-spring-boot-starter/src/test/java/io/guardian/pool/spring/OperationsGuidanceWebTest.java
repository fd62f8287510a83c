package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.spring.LoopbackPeers.Peer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.web.servlet.client.RestTestClient;

/**
 * The production settings the README's "Running in production" recommends, as an application
 * sets them: the connectionpool endpoint read-only (its writes gone), and the connectionPool
 * health indicator in the readiness group and not in liveness.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        classes = OperationsGuidanceWebTest.App.class,
        properties = {
            "server.address=127.0.0.1",
            "management.endpoints.web.exposure.include=connectionpool,health",
            "management.endpoint.connectionpool.access=read-only",
            "management.endpoint.health.probes.enabled=true",
            "management.endpoint.health.group.readiness.include=readinessState,connectionPool",
            // Spelled out, as the README does: a group defined with no include would take every indicator.
            "management.endpoint.health.group.liveness.include=livenessState",
            "management.endpoint.health.show-components=always",
            "guardian.pool.health.enabled=false",
        })
@Timeout(120)
class OperationsGuidanceWebTest {

    private static final LoopbackPeers PEERS = new LoopbackPeers();

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
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
    void readOnlyAccessKeepsTheReadsAndRemovesTheWrites() {
        Peer peer = PEERS.start();
        pool.acquire(peer.id(), peer.address()).close();

        assertThat(body(http.get().uri("/connectionpool/" + peer.id()).exchange().expectStatus().isOk()))
                .contains(peer.id().toBase58());
        http.post().uri("/connectionpool/" + peer.id() + "/evict").exchange().expectStatus().is4xxClientError();
        http.post().uri("/connectionpool/" + peer.id() + "/reset-breaker").exchange().expectStatus()
                .is4xxClientError();

        assertThat(pool.peerSummary(peer.id()).orElseThrow().idle()).as("nothing was evicted").isEqualTo(1);
    }

    @Test
    void theHealthIndicatorIsInReadinessAndNotInLiveness() {
        String readiness = body(http.get().uri("/health/readiness").exchange().expectStatus().isOk());
        assertThat(readiness).contains("\"connectionPool\"", "\"readinessState\"");
        String liveness = body(http.get().uri("/health/liveness").exchange().expectStatus().isOk());
        assertThat(liveness).contains("\"livenessState\"").doesNotContain("connectionPool");
    }

    private static String body(RestTestClient.ResponseSpec response) {
        return new String(response.expectBody().returnResult().getResponseBody(), StandardCharsets.UTF_8);
    }
}
