package io.guardian.pool.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.CircuitBreakerOpenException;
import io.guardian.pool.ConnectionFailedException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * What the README shows: a Spring Boot test of an application that reads its peers from a
 * property, with the embedded peers' addresses put there by {@code @DynamicPropertySource} and
 * the pool from the starter.
 */
@Timeout(60)
@SpringBootTest(classes = SpringBootUsageTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.NONE)
class SpringBootUsageTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final EmbeddedPeers peers = EmbeddedPeers.echo(2);

    @DynamicPropertySource
    static void peerProperties(DynamicPropertyRegistry registry) {
        registry.add("inventory.peers", peers::addressList);
        registry.add("guardian.pool.max-retry-attempts", () -> 0);
        registry.add("guardian.pool.circuit-breaker.failure-threshold", () -> 1);
    }

    @Autowired
    OptimizedConnectionPool pool;

    @Value("${inventory.peers}")
    List<String> configured;

    @Test
    void theApplicationReachesEveryConfiguredPeer() {
        assertThat(configured).hasSize(2);
        for (String text : configured) {
            Multiaddr address = Multiaddr.parse(text);
            PeerId id = address.peerId().orElseThrow();
            try (PeerConnection c = pool.acquire(id, address)) {
                assertThat(c.request("stock?".getBytes(StandardCharsets.UTF_8), WAIT))
                        .isEqualTo("stock?".getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void aPeerTheTestStopsIsFencedOffByTheBreaker() {
        EmbeddedPeer down = peers.get(1);
        down.stop();
        // The stop closed the connections the pool held to it; the pool learns of that
        // asynchronously, so wait until it has dropped them and the next acquire dials.
        await().atMost(WAIT).until(() -> pool.peerSummary(down.id()).map(p -> p.idle() + p.leased()).orElse(0) == 0);
        assertThatThrownBy(() -> pool.acquire(down.id(), down.address()))
                .isInstanceOf(ConnectionFailedException.class);
        CircuitBreakerAwait.awaitOpen(pool, down.id(), WAIT);
        assertThatThrownBy(() -> pool.acquire(down.id(), down.address()))
                .isInstanceOf(CircuitBreakerOpenException.class);
        pool.resetCircuitBreaker(down.id());
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }
}
