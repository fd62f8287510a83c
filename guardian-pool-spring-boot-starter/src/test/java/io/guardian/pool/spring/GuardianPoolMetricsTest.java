package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.CircuitBreakerOpenException;
import io.guardian.pool.ConnectionFailedException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.PoolExhaustedException;
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
import java.util.Arrays;
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
    void closedMetersStopTimingAndLeaveTheRegistry() {
        MeterRegistry registry = new SimpleMeterRegistry();
        Peer peer = peers.start();
        GuardianPoolMetrics metrics = new GuardianPoolMetrics(pool, true);
        metrics.bindTo(registry);
        pool.acquire(peer.id(), peer.address()).close();
        metrics.refreshPerPeer();
        Timer created = acquireTimer(registry, "created");
        Timer reused = acquireTimer(registry, "reused");
        Timer usage = registry.get("guardian.pool.connections.usage").timer();
        assertThat(registry.find("guardian.pool.peer.connections").gauges()).hasSize(3);
        metrics.close();
        metrics.close();

        pool.acquire(peer.id(), peer.address()).close();
        metrics.refreshPerPeer(); // a health pass after the close adds nothing back

        assertThat(created.count()).isEqualTo(1);
        assertThat(reused.count()).isZero();
        assertThat(usage.count()).isEqualTo(1);
        assertThat(registry.getMeters()).extracting(m -> m.getId().getName())
                .noneMatch(name -> name.startsWith("guardian."));
    }

    @Test
    void histogramBucketsAreSizedToThePoolsSettings() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        PoolConfig config = PoolConfig.builder().connectionTimeout(Duration.ofSeconds(3))
                .acquireDeadline(Duration.ofSeconds(45)).leakDetectionThreshold(Duration.ofSeconds(20)).build();
        try (OptimizedConnectionPool sized = new OptimizedConnectionPool(config);
                GuardianPoolMetrics metrics = new GuardianPoolMetrics(sized, false)) {
            metrics.bindTo(registry);
            String scrape = registry.scrape();
            assertThat(scrape).as("the buckets are in the scrape").contains("guardian_pool_acquire_seconds_bucket{");
            // Acquire: 1 µs (a warm acquire's scale) to acquire-deadline, 1-2.5-5 per decade.
            assertThat(buckets(scrape, "guardian_pool_acquire_seconds", "outcome=\"reused\""))
                    .containsExactly("1.0E-6", "2.5E-6", "5.0E-6", "1.0E-5", "2.5E-5", "5.0E-5", "1.0E-4", "2.5E-4",
                            "5.0E-4", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0",
                            "2.5", "5.0", "10.0", "25.0", "45.0", "+Inf");
            // Connect: 100 µs to connection-timeout.
            assertThat(buckets(scrape, "guardian_pool_connect_seconds", ""))
                    .startsWith("1.0E-4").endsWith("2.5", "3.0", "+Inf").hasSize(16);
            // Usage: 1 ms (the bookkeeping clock's resolution) to leak-detection-threshold.
            assertThat(buckets(scrape, "guardian_pool_connections_usage_seconds", ""))
                    .startsWith("0.001").endsWith("10.0", "20.0", "+Inf").hasSize(15);
        }
    }

    @Test
    void warmAcquiresAreResolvedBelowAMillisecond() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (GuardianPoolMetrics metrics = new GuardianPoolMetrics(pool, false)) {
            metrics.bindTo(registry);
            Peer peer = peers.start();
            for (int i = 0; i < 21; i++) {
                pool.acquire(peer.id(), peer.address()).close();
            }
            Timer reused = acquireTimer(registry, "reused");
            assertThat(reused.count()).isEqualTo(20);
            // The old histogram's first bucket was about 1 ms; a warm acquire takes microseconds, so
            // on a loaded machine still most of them land in buckets below 1 ms.
            double underOneMs = Arrays.stream(reused.takeSnapshot().histogramCounts())
                    .filter(c -> c.bucket(TimeUnit.NANOSECONDS) < 1_000_000).mapToDouble(c -> c.count())
                    .max().orElse(0);
            assertThat(underOneMs).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void leaseUsageIsTimedFromAcquireToClose() {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (GuardianPoolMetrics metrics = new GuardianPoolMetrics(pool, false)) {
            metrics.bindTo(registry);
            Peer peer = peers.start();
            long before = System.nanoTime();
            long held;
            try (PeerConnection lease = pool.acquire(peer.id(), peer.address())) {
                long started = System.nanoTime();
                for (int i = 0; i < 20; i++) {
                    assertThat(lease.request(new byte[] {(byte) i}, WAIT)).containsExactly((byte) i);
                }
                held = System.nanoTime() - started;
            }
            long outer = System.nanoTime() - before;
            Timer usage = registry.get("guardian.pool.connections.usage").timer();
            assertThat(usage.count()).isEqualTo(1);
            // The pool's bookkeeping clock trails the precise one by about a tick (1 ms) at either end.
            long recorded = (long) usage.totalTime(TimeUnit.NANOSECONDS);
            assertThat(recorded).isBetween(Math.max(0, held - TimeUnit.MILLISECONDS.toNanos(3)),
                    outer + TimeUnit.MILLISECONDS.toNanos(3));
        }
    }

    @Test
    void failedAcquiresAreCountedByReason() throws IOException {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (OptimizedConnectionPool strict = new OptimizedConnectionPool(PoolConfig.builder().maxRetryAttempts(0)
                .circuitBreakerFailureThreshold(1).maxConnectionsPerPeer(1).maxStreamsPerConnection(1)
                .acquireTimeout(Duration.ZERO).build());
                GuardianPoolMetrics metrics = new GuardianPoolMetrics(strict, false)) {
            metrics.bindTo(registry);
            assertThat(registry.find("guardian.pool.acquire.failures").counters())
                    .extracting(c -> c.getId().getTag("reason"))
                    .containsExactlyInAnyOrder("circuit_open", "exhausted", "dial_timeout", "handshake", "dial_failed",
                            "pool_closed", "interrupted", "other")
                    .hasSize(8);
            PeerId gone = PeerIdentity.generate().peerId();
            Multiaddr refused = refusedAddress();
            assertThatThrownBy(() -> strict.acquire(gone, refused)).isInstanceOf(ConnectionFailedException.class);
            assertThatThrownBy(() -> strict.acquire(gone, refused))
                    .isInstanceOf(CircuitBreakerOpenException.class);
            Peer peer = peers.start();
            try (PeerConnection held = strict.acquire(peer.id(), peer.address())) {
                assertThatThrownBy(() -> strict.acquire(peer.id(), peer.address()))
                        .isInstanceOf(PoolExhaustedException.class);
                assertThat(held.peerId()).isEqualTo(peer.id());
            }

            assertThat(failures(registry, "dial_failed")).isEqualTo(1);
            assertThat(failures(registry, "circuit_open")).isEqualTo(1);
            assertThat(failures(registry, "exhausted")).isEqualTo(1);
            assertThat(failures(registry, "dial_timeout") + failures(registry, "handshake")
                    + failures(registry, "pool_closed") + failures(registry, "interrupted")
                    + failures(registry, "other")).isZero();
            assertThat(acquireTimer(registry, "failed").count()).isEqualTo(3);
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
            metrics.refreshPerPeer();
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
            metrics.refreshPerPeer();

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
            assertThat(scrape).contains("guardian_pool_latency_seconds{pool=\"guardianPool\"} ",
                    "guardian_pool_peer_latency_seconds{peer=\"" + peer.id() + "\",pool=\"guardianPool\"}")
                    .doesNotContain("millis");
        }
    }

    private static double failures(MeterRegistry registry, String reason) {
        return registry.get("guardian.pool.acquire.failures").tag("reason", reason).counter().count();
    }

    /** The {@code le} values of a histogram's bucket lines (those whose labels also hold {@code other}). */
    private static List<String> buckets(String scrape, String family, String other) {
        String le = "le=\"";
        return scrape.lines().filter(l -> l.startsWith(family + "_bucket{") && l.contains(other))
                .map(l -> l.substring(l.indexOf(le) + le.length(), l.indexOf('"', l.indexOf(le) + le.length())))
                .toList();
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
