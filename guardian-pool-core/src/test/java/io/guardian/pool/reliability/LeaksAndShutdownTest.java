package io.guardian.pool.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolClosedException;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.Transport;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;

/**
 * Leases that are never returned, and shutdown while the pool is busy: the leak event must name
 * the place of the acquire, and {@code close()} must fail every waiter at once with
 * {@link PoolClosedException}, close every socket (the listeners see every connection go) and end
 * every thread the pool started.
 *
 * <p>Figures: {@code target/reliability/leaks-and-shutdown.json|txt}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LeaksAndShutdownTest {

    private static final Figures FIGURES = Figures.forRun(LeaksAndShutdownTest.class, Size.current());
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** One message per exception type the load threads ended with, to show what callers read. */
    private static final Map<String, String> MESSAGES = new ConcurrentHashMap<>();

    @AfterAll
    static void writeFigures() {
        FIGURES.write("leaks-and-shutdown");
    }

    @Test
    void leaseNeverClosedRaisesOneLeakEventCarryingTheStackOfItsAcquire() throws Exception {
        Duration threshold = Duration.ofMillis(300);
        List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
        try (LoopbackPeer peer = LoopbackPeer.start();
                OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.builder()
                        .leakDetectionThreshold(threshold).build())) {
            pool.subscribeEvents(events::add);
            // Stopped by the pool's close at the end of the try, also when an assertion fails first.
            pool.startHealthMonitor();
            for (int i = 0; i < 20; i++) {
                try (PeerConnection returned = pool.acquire(peer.id, peer.address)) {
                    returned.request(new byte[] {(byte) i}, REQUEST_TIMEOUT);
                }
            }
            long acquiredAt = System.nanoTime();
            PeerConnection forgotten = acquireAndForget(pool, peer);
            await("the leak event").atMost(Duration.ofSeconds(5)).until(() -> leaks(events).size() == 1);
            long reportedAfterMs = Figures.millisSince(acquiredAt);
            // Reported once per lease, not on every check: it stays one for several more checks.
            await().during(threshold.multipliedBy(3)).atMost(threshold.multipliedBy(5))
                    .until(() -> leaks(events).size() == 1);
            ConnectionEvent.ConnectionLeakSuspected leak = leaks(events).get(0);
            StackTraceElement top = leak.acquireStack().get(0);
            FIGURES.section("leak").put("threshold", threshold).put("reportedAfterMs", reportedAfterMs)
                    .put("heldFor", leak.heldFor()).put("acquireStackTop", top.toString())
                    .put("leaksSuspected", pool.getStats().leaksSuspected());

            assertThat(leak.connectionId()).isEqualTo(forgotten.id());
            assertThat(leak.peerId()).isEqualTo(peer.id);
            assertThat(leak.heldFor()).isGreaterThanOrEqualTo(threshold);
            assertThat(top.getClassName()).isEqualTo(LeaksAndShutdownTest.class.getName());
            assertThat(top.getMethodName()).isEqualTo("acquireAndForget");
            assertThat(pool.getStats().leaksSuspected()).isEqualTo(1);
            forgotten.close();
            assertThat(pool.getStats().activeConnections()).isZero();
        }
    }

    /** The acquire the leak event must point at: its frame is the top of the reported stack. */
    private static PeerConnection acquireAndForget(OptimizedConnectionPool pool, LoopbackPeer peer) {
        return pool.acquire(peer.id, peer.address);
    }

    private static List<ConnectionEvent.ConnectionLeakSuspected> leaks(List<ConnectionEvent> events) {
        return events.stream().filter(e -> e instanceof ConnectionEvent.ConnectionLeakSuspected)
                .map(e -> (ConnectionEvent.ConnectionLeakSuspected) e).collect(Collectors.toList());
    }

    /**
     * On both transports; libp2p with one stream per connection, so that holders and waiters line
     * up with connections as they do on guardian-db.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void closingThePoolUnderLoadFailsWaitersClosesEverySocketAndEndsEveryThreadItStarted(Transport transport)
            throws Exception {
        int holders = 8;
        int waiters = 24;
        Figures f = FIGURES.section(transport == Transport.GUARDIAN ? "closeUnderLoad" : "closeUnderLoadLibp2p");
        ProcessProbe baseline = ProcessProbe.baseline();
        baseline.report(f, "baseline");
        List<LoopbackPeer> peers = new ArrayList<>();
        try (LeakWatch leakWatch = new LeakWatch(); LogCapture logs = LogCapture.problems()) {
            for (int i = 0; i < 4; i++) {
                peers.add(LoopbackPeer.start());
            }
            Set<Thread> beforePool = ProcessProbe.liveThreads();
            OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.builder()
                    .transport(transport).maxStreamsPerConnection(1)
                    .maxConnectionsPerPeer(2).maxTotalConnections(holders).acquireTimeout(Duration.ofMinutes(1))
                    .healthCheckInterval(Duration.ofMillis(200)).build());
            List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
            pool.subscribeEvents(events::add);
            pool.startHealthMonitor();

            Map<String, LongAdder> holderOutcomes = new ConcurrentHashMap<>();
            Map<String, LongAdder> waiterOutcomes = new ConcurrentHashMap<>();
            List<Thread> load = new ArrayList<>();
            LongAdder requests = new LongAdder();
            for (int i = 0; i < holders; i++) {
                LoopbackPeer p = peers.get(i % peers.size());
                load.add(thread("close-test-holder-" + i, () -> {
                    PeerConnection lease = pool.acquire(p.id, p.address);
                    try {
                        while (true) {
                            lease.request(new byte[] {1, 2, 3}, REQUEST_TIMEOUT);
                            requests.increment();
                        }
                    } finally {
                        lease.close();
                    }
                }, holderOutcomes));
            }
            await("every holder busy on its lease").atMost(Duration.ofSeconds(10))
                    .until(() -> pool.getStats().activeConnections() == holders && requests.sum() > 100);
            for (int i = 0; i < waiters; i++) {
                LoopbackPeer p = peers.get(i % peers.size());
                load.add(thread("close-test-waiter-" + i, () -> pool.acquire(p.id, p.address).close(),
                        waiterOutcomes));
            }
            List<CompletableFuture<PeerConnection>> asyncWaiters = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                asyncWaiters.add(pool.acquireAsync(peers.get(i).id, peers.get(i).address));
            }
            await("every waiter queued").atMost(Duration.ofSeconds(10))
                    .until(() -> pool.getStats().waitingAcquires() == waiters + 4);
            List<String> started = ProcessProbe.liveThreads().stream().filter(t -> !beforePool.contains(t))
                    .map(Thread::getName).filter(n -> !n.startsWith("close-test-") && !n.startsWith("awaitility"))
                    .sorted()
                    .collect(Collectors.toList());
            // The listeners' handler threads and the JVM-wide transport threads (event loops,
            // offload workers) are shared with the still open listeners: they must be gone once
            // the listeners close too, which the baseline check below covers.
            List<String> poolThreads = started.stream().filter(n -> !n.startsWith("guardian-handler-")
                    && !n.startsWith("guardian-io-") && !n.startsWith("guardian-offload-"))
                    .collect(Collectors.toList());
            f.put("threadsStartedByThePool", poolThreads);
            f.put("sharedOrListenerThreadsStartedMeanwhile", started.stream()
                    .filter(n -> !poolThreads.contains(n)).collect(Collectors.toList()));
            f.put("requestsBeforeClose", requests.sum());

            long closing = System.nanoTime();
            pool.close();
            long closeMs = Figures.millisSince(closing);
            for (Thread t : load) {
                t.join(TimeUnit.SECONDS.toMillis(10));
                assertThat(t.isAlive()).as(t.getName() + " ended after close").isFalse();
            }
            long allEndedMs = Figures.millisSince(closing);
            for (CompletableFuture<PeerConnection> w : asyncWaiters) {
                assertThat(w).failsWithin(Duration.ofSeconds(1)).withThrowableOfType(
                        java.util.concurrent.ExecutionException.class).havingCause()
                        .isInstanceOf(PoolClosedException.class);
            }
            assertThatThrownBy(() -> pool.acquire(peers.get(0).id, peers.get(0).address))
                    .isInstanceOf(PoolClosedException.class);
            await("every socket closed, as the listeners see it").atMost(Duration.ofSeconds(10))
                    .until(() -> peers.stream().mapToInt(LoopbackPeer::connectionCount).sum() == 0);
            long socketsClosedMs = Figures.millisSince(closing);
            await("the pool's own threads ended").atMost(Duration.ofSeconds(10)).until(() -> ProcessProbe
                    .liveThreads().stream().map(Thread::getName).noneMatch(poolThreads::contains));
            f.put("closeMs", closeMs);
            f.put("allCallersReturnedMs", allEndedMs);
            f.put("allSocketsClosedAsSeenByListenersMs", socketsClosedMs);
            f.put("waiterOutcomes", sum(waiterOutcomes));
            f.put("holderOutcomes", sum(holderOutcomes));
            f.put("messages", new TreeMap<>(MESSAGES));
            f.put("disconnectedEvents", events.stream().filter(e -> e instanceof ConnectionEvent.Disconnected).count());

            assertThat(sum(waiterOutcomes)).as("every blocked acquire failed with PoolClosedException")
                    .containsOnlyKeys("PoolClosedException").containsEntry("PoolClosedException", (long) waiters);
            assertThat(MESSAGES.get("PoolClosedException")).contains("pool was closed");
            assertThat(sum(holderOutcomes)).as("every holder's next request failed typed")
                    .containsOnlyKeys("ConnectionClosedException");
            assertThat(pool.getStats().openConnections()).isZero();
            assertThat(poolThreads).as("the pool started its housekeeper and event threads")
                    .contains("guardian-pool-housekeeper", "guardian-pool-events");

            for (LoopbackPeer p : peers) {
                p.close();
            }
            baseline.awaitBackToBaseline(Duration.ofSeconds(30));
            ProcessProbe.now().report(f, "after");
            assertThat(leakWatch.collectLeaks()).as("Netty leak reports").isEmpty();
            assertThat(logs.suspicious()).as("unhandled or untyped exceptions in the logs").isEmpty();
        } finally {
            peers.forEach(LoopbackPeer::close);
        }
    }

    @Test
    void closingThePoolAbandonsDialsInFlightAtOnceInsteadOfWaitingForTheirTimeout() throws Exception {
        int dials = 50;
        ProcessProbe baseline = ProcessProbe.baseline();
        try (SilentPeers silent = new SilentPeers(dials)) {
            OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.builder()
                    .connectionTimeout(Duration.ofSeconds(30)).maxRetryAttempts(0).build());
            List<CompletableFuture<PeerConnection>> inFlight = new ArrayList<>();
            for (int i = 0; i < dials; i++) {
                inFlight.add(pool.acquireAsync(PeerIdentity.generate().peerId(),
                        Multiaddr.parse("/ip4/127.0.0.1/tcp/" + silent.port(i))));
            }
            await("every dial connected at TCP level").atMost(Duration.ofSeconds(10))
                    .until(() -> silent.accepted() == dials && pool.getStats().pendingConnections() == dials);
            long closing = System.nanoTime();
            pool.close();
            for (CompletableFuture<PeerConnection> dial : inFlight) {
                assertThat(dial).failsWithin(Duration.ofSeconds(2)).withThrowableOfType(
                        java.util.concurrent.ExecutionException.class).havingCause()
                        .isInstanceOf(PoolClosedException.class);
            }
            FIGURES.section("closeWithDialsInFlight").put("dials", dials).put("connectionTimeout",
                    Duration.ofSeconds(30)).put("allFailedAfterCloseMs", Figures.millisSince(closing));
            assertThat(pool.getStats().openConnections()).isZero();
        }
        baseline.awaitBackToBaseline(Duration.ofSeconds(30));
    }

    private static Map<String, Long> sum(Map<String, LongAdder> counts) {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** A started thread that records how its body ended (the exception's simple name, or "returned"). */
    private static Thread thread(String name, ThrowingRunnable body, Map<String, LongAdder> outcomes) {
        Thread t = new Thread(() -> {
            String outcome;
            try {
                body.run();
                outcome = "returned";
            } catch (Throwable e) {
                outcome = e.getClass().getSimpleName();
                MESSAGES.putIfAbsent(outcome, String.valueOf(e.getMessage()));
            }
            outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
