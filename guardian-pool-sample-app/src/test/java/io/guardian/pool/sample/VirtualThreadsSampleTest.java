package io.guardian.pool.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.OptimizedConnectionPool;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The sample with {@code spring.threads.virtual.enabled=true} (JDK 21+; {@code .ci/run} runs it
 * on Temurin 25, the default build on JDK 17 skips it): Tomcat serves requests on virtual threads,
 * and 200 concurrent {@code POST /api/peers/{id}/send}, each acquiring a lease on its request
 * thread, all get their peer's reply while the background workload goes on. The sample's own
 * configuration keeps the property off, as Boot does by default.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@EnabledForJreRange(min = JRE.JAVA_21)
// A context of its own (other properties): closed after the class so that its demo peers and
// workload do not run on beside the shared one for the rest of the module's tests.
@DirtiesContext
// The demo peers answer on max(2, cores) handler threads each: a burst queues there, so the
// sample's 2 s reply timeout is raised to what the burst needs on a loaded 2-core machine.
@TestPropertySource(properties = {"spring.threads.virtual.enabled=true", "guardian.sample.request-timeout=20s"})
@Import(VirtualThreadsSampleTest.ThreadProbe.class)
class VirtualThreadsSampleTest extends LiveSample {

    private static final int REQUESTS = 200;

    @Autowired
    OptimizedConnectionPool pool;

    @Test
    void requestThreadsAreVirtualAndConcurrentSendsThroughThePoolAllGetTheirReply() throws Exception {
        assertThat(getJson("/test/request-thread").path("virtual").asBoolean())
                .as("the request thread is virtual").isTrue();

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            String peer = "peer-" + (1 + i % demoPeers.all().size());
            sent.add(client.sendAsync(HttpRequest.newBuilder(URI.create(baseUrl() + "/api/peers/" + peer + "/send"))
                    .timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "text/plain")
                    .POST(HttpRequest.BodyPublishers.ofString("vt-" + i, StandardCharsets.UTF_8)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
        for (int i = 0; i < REQUESTS; i++) {
            HttpResponse<String> response = sent.get(i).join();
            String peer = "peer-" + (1 + i % demoPeers.all().size());
            assertThat(response.statusCode()).as("request %d: %s", i, response.body()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(peer + ": vt-" + i);
        }

        // Every lease of the burst went back: at most the workload's own requests are out.
        await().atMost(Duration.ofSeconds(10)).until(() -> pool.getStats().waitingAcquires() == 0
                && pool.getStats().activeStreams() <= 2);
        assertThat(pool.getStats().openConnections()).isLessThanOrEqualTo(pool.config().maxTotalConnections());
        for (DemoPeer peer : demoPeers.all()) {
            pool.peer(peer.peerId()).ifPresent(p -> assertThat(p.open())
                    .isLessThanOrEqualTo(pool.config().maxConnectionsPerPeer()));
        }
    }

    /** Says whether the request that called it ran on a virtual thread. */
    @TestConfiguration(proxyBeanMethods = false)
    @RestController
    static class ThreadProbe {

        @GetMapping("/test/request-thread")
        Map<String, Object> requestThread() throws ReflectiveOperationException {
            Thread current = Thread.currentThread();
            // Thread.isVirtual() is a JDK 21 method; the sample compiles for Java 17.
            boolean virtual = (Boolean) Thread.class.getMethod("isVirtual").invoke(current);
            return Map.of("virtual", virtual, "name", current.getName());
        }
    }
}
