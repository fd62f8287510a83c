package io.guardian.pool.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.peer.PeerId;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.context.event.EventListener;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.client.RestTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The running sample over real HTTP, shared by every test class that extends it: they all carry
 * the same configuration, so Spring's test context cache starts the application (with its demo
 * peers, workload and pool) once for the whole module. Each test restarts the demo peers it
 * stopped, so the next one finds all peers running.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(LiveSample.RecordedEvents.class)
abstract class LiveSample {

    static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @Autowired
    DemoPeers demoPeers;

    @Autowired
    RecordedEvents events;

    RestTestClient http() {
        return RestTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).build();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** GETs a JSON document and asserts a 200 answer. */
    JsonNode getJson(String path) {
        String body = http().get().uri(path).accept(MediaType.APPLICATION_JSON).exchange()
                .expectStatus().isOk()
                .returnResult(String.class).getResponseBody();
        return JSON.readTree(body);
    }

    PeerId peerIdOf(String name) {
        return demoPeers.find(name).orElseThrow().peerId();
    }

    @AfterEach
    void restartStoppedPeers() {
        for (DemoPeer peer : demoPeers.all()) {
            if (!peer.isRunning()) {
                peer.start();
            }
        }
        assertThat(demoPeers.all()).allMatch(DemoPeer::isRunning);
    }

    /**
     * Records every connection event the application publishes, through the same
     * {@code @EventListener} mechanism the sample's {@link ConnectionEventLog} uses.
     */
    @TestConfiguration(proxyBeanMethods = false)
    static class RecordedEvents {

        private final List<Seen> seen = new CopyOnWriteArrayList<>();

        @EventListener
        void on(ConnectionEvent event) {
            seen.add(new Seen(Instant.now(), event));
        }

        /** Whether an event of {@code kind} for {@code peer} arrived at or after {@code since}. */
        boolean received(Class<? extends ConnectionEvent> kind, PeerId peer, Instant since) {
            return seen.stream().anyMatch(s -> kind.isInstance(s.event()) && s.event().peerId().equals(peer)
                    && !s.at().isBefore(since));
        }

        record Seen(Instant at, ConnectionEvent event) {
        }
    }
}
