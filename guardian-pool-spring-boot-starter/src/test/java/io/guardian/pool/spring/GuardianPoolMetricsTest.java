package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.ConnectionFailedException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import io.guardian.pool.spring.LoopbackPeers.Peer;
import io.guardian.pool.spring.metrics.GuardianPoolMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
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
            assertThat(registry.get("guardian.pool.connect").timer().max(TimeUnit.NANOSECONDS))
                    .isPositive();
            assertThat(registry.get("guardian.pool.connections.max").gauge().value()).isEqualTo(1000.0);
            assertThat(registry.getMeters()).extracting(m -> m.getId().getName())
                    .noneMatch(name -> name.startsWith("guardian.pool.peer."));
        }
    }

    @Test
    void acquiresAreTimedByOutcomeAndDialsByTheirConnectAndHandshake() throws IOException {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (OptimizedConnectionPool noRetries = new OptimizedConnectionPool(PoolConfig.builder()
                .maxRetryAttempts(0).build());
                GuardianPoolMetrics metrics = new GuardianPoolMetrics(noRetries, false)) {
            metrics.bindTo(registry);
            Peer peer = peers.start();
            noRetries.acquire(peer.id(), peer.address()).close();
            noRetries.acquire(peer.id(), peer.address()).close();
            noRetries.acquire(peer.id(), peer.address()).close();
            PeerId gone = PeerIdentity.generate().peerId();
            assertThatThrownBy(() -> noRetries.acquire(gone, refusedAddress()))
                    .isInstanceOf(ConnectionFailedException.class);

            // Recorded synchronously on the acquiring thread: nothing to wait for.
            Timer created = acquireTimer(registry, "created");
            Timer reused = acquireTimer(registry, "reused");
            Timer failed = acquireTimer(registry, "failed");
            Timer connect = registry.get("guardian.pool.connect").timer();
            assertThat(created.count()).isEqualTo(1);
            assertThat(reused.count()).isEqualTo(2);
            assertThat(failed.count()).isEqualTo(1);
            assertThat(connect.count()).isEqualTo(1);
            // The created acquire waited for the dial; the dial includes the handshake round trip.
            assertThat(created.totalTime(TimeUnit.NANOSECONDS)).isGreaterThanOrEqualTo(
                    connect.totalTime(TimeUnit.NANOSECONDS));
            // The connection's only latency sample so far is its handshake round trip, part of the dial.
            double handshakeMs = noRetries.peer(peer.id()).orElseThrow().connections().get(0).info().avgLatencyMs();
            assertThat(handshakeMs).isPositive();
            assertThat(connect.totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(handshakeMs - 0.001);
            assertThat(registry.get("guardian.pool.acquire").timers()).hasSize(3);
        }
    }

    @Test
    void closedMetersStopTiming() {
        MeterRegistry registry = new SimpleMeterRegistry();
        Peer peer = peers.start();
        GuardianPoolMetrics metrics = new GuardianPoolMetrics(pool, false);
        metrics.bindTo(registry);
        pool.acquire(peer.id(), peer.address()).close();
        metrics.close();

        pool.acquire(peer.id(), peer.address()).close();

        assertThat(acquireTimer(registry, "created").count()).isEqualTo(1);
        assertThat(acquireTimer(registry, "reused").count()).isZero();
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

    @Test
    void timesArePublishedInSecondsPrometheussBaseUnit() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (GuardianPoolMetrics metrics = new GuardianPoolMetrics(pool, true)) {
            metrics.bindTo(registry);
            Peer peer = peers.start();
            pool.acquire(peer.id(), peer.address()).close();
            pool.checkHealth();
            metrics.perPeer().refresh();

            double avgMs = pool.getStats().globalAvgLatencyMs();
            double peerMs = pool.peer(peer.id()).orElseThrow().health().currentLatencyMs();
            assertThat(avgMs).isPositive();
            Gauge latency = registry.get("guardian.pool.latency").gauge();
            assertThat(latency.getId().getBaseUnit()).isEqualTo("seconds");
            assertThat(latency.value()).isCloseTo(avgMs / 1000.0, within(1e-12));
            Gauge peerLatency = registry.get("guardian.pool.peer.latency").tag("peer", peer.id().toBase58()).gauge();
            assertThat(peerLatency.getId().getBaseUnit()).isEqualTo("seconds");
            assertThat(peerLatency.value()).isCloseTo(peerMs / 1000.0, within(1e-12));
            // Every guardian meter: a count (no unit or "connections") or a time in seconds, never ms.
            assertThat(registry.getMeters()).filteredOn(m -> m.getId().getName().startsWith("guardian."))
                    .allSatisfy(m -> assertThat(m.getId().getBaseUnit()).as(m.getId().getName())
                            .isIn(null, "connections", "seconds"));
            String scrape = registry.scrape();
            assertThat(scrape).contains("guardian_pool_latency_seconds ",
                    "guardian_pool_peer_latency_seconds{peer=\"" + peer.id() + "\"}").doesNotContain("millis");
        }
    }

    private static Timer acquireTimer(MeterRegistry registry, String outcome) {
        return registry.get("guardian.pool.acquire").tag("outcome", outcome).timer();
    }

    /** A loopback port that was just closed: dialing it is refused by the kernel. */
    private static Multiaddr refusedAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return Multiaddr.parse("/ip4/127.0.0.1/tcp/" + s.getLocalPort());
        }
    }

    private static double gauge(MeterRegistry registry, String name, String tag, String value) {
        return registry.get(name).tag(tag, value).gauge().value();
    }
}
