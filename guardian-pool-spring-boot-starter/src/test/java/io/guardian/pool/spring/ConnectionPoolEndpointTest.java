package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.HealthReport;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import io.guardian.pool.spring.LoopbackPeers.Peer;
import io.guardian.pool.spring.actuate.ConnectionPoolEndpoint;
import io.guardian.pool.spring.actuate.ConnectionPoolHealthIndicator;
import io.guardian.pool.spring.actuate.PoolDescriptors.PeerDescriptor;
import io.guardian.pool.spring.actuate.PoolDescriptors.PoolDescriptor;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** The endpoint's and the health indicator's logic, called directly against a real pool. */
@Timeout(60)
class ConnectionPoolEndpointTest {

    private final LoopbackPeers peers = new LoopbackPeers();
    private final OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.defaults());

    @AfterEach
    void close() {
        pool.close();
        peers.close();
    }

    @Test
    void theListingShowsTheMostActivePeersFirstUpToTheCap() {
        Peer busy = peers.start();
        Peer idle = peers.start();
        PeerId quiet = PeerIdentity.generate().peerId();
        pool.acquire(idle.id(), idle.address()).close();
        pool.recordFailure(quiet);
        try (PeerConnection held = pool.acquire(busy.id(), busy.address())) {
            assertThat(held.peerId()).isEqualTo(busy.id());
            PoolDescriptor two = new ConnectionPoolEndpoint(pool, 2).pool();
            assertThat(two.peerCount()).isEqualTo(3);
            assertThat(two.peers()).extracting(PeerDescriptor::peerId)
                    .containsExactly(busy.id().toBase58(), idle.id().toBase58());
            assertThat(two.peers()).extracting(PeerDescriptor::connections).containsOnlyNulls();
            assertThat(new ConnectionPoolEndpoint(pool, 100).pool().peers()).extracting(PeerDescriptor::peerId)
                    .containsExactly(busy.id().toBase58(), idle.id().toBase58(), quiet.toBase58());
            assertThat(new ConnectionPoolEndpoint(pool, 0).pool().peers()).isEmpty();
        }
    }

    @Test
    void theConfigurationIsShownUnderThePropertyNames() {
        Map<String, Object> config = new ConnectionPoolEndpoint(pool, 1).pool().config();
        assertThat(config).containsEntry("max-connections-per-peer", 8).containsEntry("connection-timeout", "PT10S")
                .containsKeys("circuit-breaker", "handshake");
        assertThat(config.get("circuit-breaker")).asInstanceOf(InstanceOfAssertFactories.MAP)
                .containsEntry("effective-failure-threshold", 5);
    }

    @Test
    void malformedInputIsABadRequest() {
        ConnectionPoolEndpoint endpoint = new ConnectionPoolEndpoint(pool, 1);
        assertThatThrownBy(() -> endpoint.peer("12D3KooW-not-base58")).isInstanceOf(InvalidEndpointRequestException.class)
                .hasMessageContaining("is not a PeerId");
        String known = PeerIdentity.generate().peerId().toBase58();
        assertThatThrownBy(() -> endpoint.peerAction(known, "drop")).isInstanceOf(InvalidEndpointRequestException.class)
                .hasMessageContaining("evict").hasMessageContaining("reset-breaker");
    }

    @Test
    void healthIsUpWithOpenBreakersUnlessConfiguredAndDownOnceClosed() {
        PeerId failing = PeerIdentity.generate().peerId();
        for (int i = 0; i < pool.config().effectiveFailureThreshold(); i++) {
            pool.recordFailure(failing);
        }
        AtomicReference<HealthReport> report = new AtomicReference<>();
        Health lenient = new ConnectionPoolHealthIndicator(pool, false, report::get).health();
        assertThat(lenient.getStatus()).isEqualTo(Status.UP);
        assertThat(lenient.getDetails().get("openCircuitPeers")).asInstanceOf(InstanceOfAssertFactories.MAP)
                .containsEntry(failing.toBase58(), "OPEN");
        assertThat(lenient.getDetails()).containsEntry("openCircuits", 1).doesNotContainKey("lastHealthCheck");

        report.set(pool.checkHealth());
        Health strict = new ConnectionPoolHealthIndicator(pool, true, report::get).health();
        assertThat(strict.getStatus()).isEqualTo(Status.DOWN);
        assertThat(strict.getDetails()).containsEntry("lastHealthCheck", report.get().startedAt().toString());

        pool.resetCircuitBreaker(failing);
        assertThat(new ConnectionPoolHealthIndicator(pool, true, report::get).health().getStatus()).isEqualTo(Status.UP);

        pool.close();
        Health closed = new ConnectionPoolHealthIndicator(pool, false, report::get).health();
        assertThat(closed.getStatus()).isEqualTo(Status.DOWN);
        assertThat(closed.getDetails()).containsEntry("closed", true);
    }
}
