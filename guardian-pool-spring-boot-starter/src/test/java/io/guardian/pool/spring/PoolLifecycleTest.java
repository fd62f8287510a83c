package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.HealthReport;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolClosedException;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import io.guardian.pool.spring.LoopbackPeers.Peer;
import io.guardian.pool.spring.metrics.GuardianPoolMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/** The pool living with the context: events, the scheduled health monitor, shutdown. */
@Timeout(60)
class PoolLifecycleTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final byte[] PING = "ping".getBytes(StandardCharsets.US_ASCII);

    private final LoopbackPeers peers = new LoopbackPeers();
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(GuardianPoolAutoConfiguration.class));

    @AfterEach
    void closePeers() {
        peers.close();
    }

    @Test
    void eventListenerMethodsReceiveThePoolsEvents() {
        Peer peer = peers.start();
        runner.withPropertyValues("guardian.pool.health.enabled=false").withBean(Listeners.class).run(context -> {
            OptimizedConnectionPool pool = context.getBean(OptimizedConnectionPool.class);
            try (PeerConnection lease = pool.acquire(peer.id(), peer.address())) {
                assertThat(lease.request(PING, Duration.ofSeconds(5))).isEqualTo(PING);
            }
            PeerId failing = PeerIdentity.generate().peerId();
            for (int i = 0; i < pool.config().effectiveFailureThreshold(); i++) {
                pool.recordFailure(failing);
            }
            Listeners listeners = context.getBean(Listeners.class);
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(listeners.connected).extracting(ConnectionEvent.Connected::peerId).containsExactly(peer.id());
                assertThat(listeners.opened).extracting(ConnectionEvent::peerId).containsExactly(failing);
            });
            assertThat(listeners.connected.get(0).latencyMs()).isPositive();
            assertThat(listeners.all).containsAll(listeners.connected).containsAll(listeners.opened);
        });
    }

    @Test
    void theHealthMonitorRepublishesTheCorePassesAtTheIntervalWithoutAThreadOfItsOwn() {
        Peer peer = peers.start();
        runner.withPropertyValues("guardian.pool.health-check-interval=100ms").withBean(Listeners.class)
                .run(context -> {
                    OptimizedConnectionPool pool = context.getBean(OptimizedConnectionPool.class);
                    pool.acquire(peer.id(), peer.address()).close();
                    PoolHealthMonitor monitor = context.getBean(PoolHealthMonitor.class);
                    assertThat(monitor.interval()).isEqualTo(Duration.ofMillis(100));
                    await().atMost(WAIT).until(() -> monitor.passes() >= 3);
                    await().atMost(WAIT).until(() -> pool.peer(peer.id()).orElseThrow().health() != null);
                    assertThat(monitor.lastReport()).isPresent();
                    assertThat(context.getBean(Listeners.class).reports).isNotEmpty();
                    // Core's housekeeping thread runs the passes; the starter schedules nothing.
                    assertThat(healthThreads()).isEmpty();
                });
    }

    @Test
    void perPeerMetersPickUpPeersAtEachHealthPass() {
        runner.withBean(SimpleMeterRegistry.class)
                .withPropertyValues("guardian.pool.health-check-interval=100ms", "guardian.pool.metrics.per-peer=true")
                .run(context -> {
                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    context.getBean(GuardianPoolMetrics.class).bindTo(registry);
                    OptimizedConnectionPool pool = context.getBean(OptimizedConnectionPool.class);
                    // Known to the pool only through reported failures: no Connected event announces it.
                    PeerId failing = PeerIdentity.generate().peerId();
                    for (int i = 0; i < pool.config().effectiveFailureThreshold(); i++) {
                        pool.recordFailure(failing);
                    }
                    await().atMost(WAIT).untilAsserted(() -> assertThat(registry.find("guardian.pool.peer.circuit.open")
                            .tag("peer", failing.toBase58()).gauge()).isNotNull()
                            .satisfies(g -> assertThat(g.value()).isEqualTo(1.0)));
                });
    }

    @Test
    void anApplicationWithItsOwnSchedulingKeepsItAndTheMonitorStillRuns() {
        runner.withConfiguration(AutoConfigurations.of(TaskSchedulingAutoConfiguration.class))
                .withUserConfiguration(AppScheduling.class)
                .withPropertyValues("guardian.pool.health-check-interval=100ms").run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(TaskScheduler.class).hasBean("taskScheduler");
                    AppScheduling app = context.getBean(AppScheduling.class);
                    PoolHealthMonitor monitor = context.getBean(PoolHealthMonitor.class);
                    await().atMost(WAIT).until(() -> app.ticks.get() >= 3 && monitor.passes() >= 3);
                });
    }

    @Test
    void closingTheContextWaitsForALeaseToComeBackAndRefusesNewAcquires() {
        Peer peer = peers.start();
        runner.withPropertyValues("guardian.pool.health.enabled=false", "guardian.pool.shutdown.grace-period=30s")
                .run(context -> {
                    OptimizedConnectionPool pool = context.getBean(OptimizedConnectionPool.class);
                    PoolGracefulShutdown shutdown = context.getBean(PoolGracefulShutdown.class);
                    PeerConnection lease = pool.acquire(peer.id(), peer.address());
                    CompletableFuture<Void> closing = CompletableFuture.runAsync(context::close);
                    await().atMost(WAIT).until(() -> shutdown.isDraining() && pool.isClosed());
                    assertThatThrownBy(() -> pool.acquire(peer.id(), peer.address()))
                            .isInstanceOf(PoolClosedException.class);
                    assertThat(lease.request(PING, Duration.ofSeconds(5))).isEqualTo(PING);
                    assertThat(closing).isNotDone();
                    long returned = System.nanoTime();
                    lease.close();
                    closing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                    // Woken by the release itself, not by a poll or the end of the 30 s grace.
                    assertThat(Duration.ofNanos(System.nanoTime() - returned)).isLessThan(Duration.ofSeconds(10));
                    assertThat(pool.getStats().openConnections()).isZero();
                });
    }

    @Test
    void stoppingTheContextWithoutClosingItLeavesThePoolOpen() {
        Peer peer = peers.start();
        runner.withPropertyValues("guardian.pool.health.enabled=false", "guardian.pool.shutdown.grace-period=30s")
                .run(context -> {
                    OptimizedConnectionPool pool = context.getBean(OptimizedConnectionPool.class);
                    context.stop();
                    assertThat(pool.isClosed()).isFalse();
                    context.start();
                    pool.acquire(peer.id(), peer.address()).close();
                    assertThat(context.getBean(PoolGracefulShutdown.class).isRunning()).isTrue();
                });
    }

    @Test
    void theGraceIsBoundedAndThePoolClosesUnderAForgottenLease() {
        Peer peer = peers.start();
        runner.withPropertyValues("guardian.pool.health.enabled=false", "guardian.pool.shutdown.grace-period=300ms")
                .run(context -> {
                    OptimizedConnectionPool pool = context.getBean(OptimizedConnectionPool.class);
                    PeerConnection forgotten = pool.acquire(peer.id(), peer.address());
                    long start = System.nanoTime();
                    context.close();
                    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    assertThat(tookMillis).isBetween(300L, WAIT.toMillis());
                    assertThat(pool.isClosed()).isTrue();
                    assertThatThrownBy(() -> forgotten.request(PING, Duration.ofSeconds(5)))
                            .isInstanceOf(GuardianPoolException.class);
                });
    }

    @Test
    void aQuietPoolClosesWithoutWaiting() {
        runner.withPropertyValues("guardian.pool.health.enabled=false", "guardian.pool.shutdown.grace-period=30s")
                .run(context -> {
                    OptimizedConnectionPool pool = context.getBean(OptimizedConnectionPool.class);
                    long start = System.nanoTime();
                    context.close();
                    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
                    assertThat(pool.isClosed()).isTrue();
                });
    }

    private static List<String> healthThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(name -> name.startsWith("guardian-pool-health-")).toList();
    }

    /** An application's listeners. */
    static class Listeners {
        final List<ConnectionEvent.Connected> connected = new CopyOnWriteArrayList<>();
        final List<ConnectionEvent.CircuitBreakerOpen> opened = new CopyOnWriteArrayList<>();
        final List<ConnectionEvent> all = new CopyOnWriteArrayList<>();
        final List<HealthReport> reports = new CopyOnWriteArrayList<>();

        @EventListener
        void on(ConnectionEvent.Connected event) {
            connected.add(event);
        }

        @EventListener
        void on(ConnectionEvent.CircuitBreakerOpen event) {
            opened.add(event);
        }

        @EventListener
        void onAny(ConnectionEvent event) {
            all.add(event);
        }

        @EventListener
        void on(HealthReport report) {
            reports.add(report);
        }
    }

    /** An application that schedules its own work. */
    @Configuration(proxyBeanMethods = false)
    @EnableScheduling
    static class AppScheduling {
        final AtomicInteger ticks = new AtomicInteger();

        @Scheduled(fixedDelay = 50)
        void tick() {
            ticks.incrementAndGet();
        }
    }
}
