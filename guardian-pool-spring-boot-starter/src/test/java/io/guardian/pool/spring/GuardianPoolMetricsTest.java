package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.spring.LoopbackPeers.Peer;
import io.guardian.pool.spring.metrics.GuardianPoolMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The meters against a real pool dialing real loopback peers. */
@Timeout(60)
class GuardianPoolMetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private final LoopbackPeers peers = new LoopbackPeers();
    private final OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.defaults());

    @AfterEach
    void close() {
        pool.close();
        peers.close();
    }

    @Test
    void theMetersFollowThePoolsStatistics() {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (GuardianPoolMetrics metrics = new GuardianPoolMetrics(pool, false)) {
            metrics.bindTo(registry);
            Peer peer = peers.start();
            pool.acquire(peer.id(), peer.address()).close();
            try (PeerConnection held = pool.acquire(peer.id(), peer.address())) {
                assertThat(held.peerId()).isEqualTo(peer.id());
                await().atMost(WAIT).untilAsserted(() -> {
                    assertThat(gauge(registry, "guardian.pool.connections", "state", "active")).isEqualTo(1.0);
                    assertThat(gauge(registry, "guardian.pool.connections", "state", "idle")).isZero();
                });
            }
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(registry.get("guardian.pool.connections.established").functionCounter().count())
                        .isEqualTo(1.0);
                assertThat(registry.get("guardian.pool.connections.reused").functionCounter().count()).isEqualTo(1.0);
                assertThat(gauge(registry, "guardian.pool.connections", "state", "idle")).isEqualTo(1.0);
                assertThat(registry.get("guardian.pool.reuse.rate").gauge().value()).isEqualTo(0.5);
                assertThat(registry.get("guardian.pool.connect").timer().count()).isEqualTo(1);
            });
            assertThat(registry.get("guardian.pool.connect").timer().max(java.util.concurrent.TimeUnit.NANOSECONDS))
                    .isPositive();
            assertThat(registry.get("guardian.pool.connections.max").gauge().value()).isEqualTo(1000.0);
            assertThat(registry.getMeters()).extracting(m -> m.getId().getName())
                    .noneMatch(name -> name.startsWith("guardian.pool.peer."));
        }
    }

    @Test
    void perPeerMetersAppearWhenEnabledAndTagTheirPeer() {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (GuardianPoolMetrics metrics = new GuardianPoolMetrics(pool, true)) {
            metrics.bindTo(registry);
            Peer peer = peers.start();
            pool.acquire(peer.id(), peer.address()).close();
            String tag = peer.id().toBase58();
            await().atMost(WAIT).untilAsserted(() -> assertThat(
                    registry.find("guardian.pool.peer.connections").tags("peer", tag, "state", "idle").gauge())
                    .isNotNull().satisfies(g -> assertThat(g.value()).isEqualTo(1.0)));
            assertThat(registry.get("guardian.pool.peer.health.score").tag("peer", tag).gauge().value()).isNaN();
            pool.checkHealth();
            metrics.perPeer().refresh();
            assertThat(registry.get("guardian.pool.peer.health.score").tag("peer", tag).gauge().value())
                    .isBetween(0.0, 1.0);
            assertThat(registry.get("guardian.pool.peer.circuit.open").tag("peer", tag).gauge().value()).isZero();
        }
    }

    @Test
    void everyMeterIsAcceptedByPrometheus() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        List<String> refused = new CopyOnWriteArrayList<>();
        registry.config().onMeterRegistrationFailed((id, reason) -> refused.add(id.getName() + ": " + reason));
        try (GuardianPoolMetrics metrics = new GuardianPoolMetrics(pool, true)) {
            metrics.bindTo(registry);
            Peer peer = peers.start();
            pool.acquire(peer.id(), peer.address()).close();
            await().atMost(WAIT).until(() -> registry.find("guardian.pool.peer.connections").gauges().size() == 3);
            String scrape = registry.scrape();
            assertThat(refused).isEmpty();
            for (Meter meter : registry.getMeters()) {
                String name = registry.config().namingConvention().name(meter.getId().getName(), meter.getId().getType(),
                        meter.getId().getBaseUnit());
                assertThat(scrape).as(meter.getId().getName()).contains(name);
            }
        }
    }

    private static double gauge(MeterRegistry registry, String name, String tag, String value) {
        return registry.get(name).tag(tag, value).gauge().value();
    }
}
