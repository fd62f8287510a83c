package io.guardian.pool.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerAddress;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.Transport;
import io.guardian.pool.PoolStats;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.internal.transport.LeakWatch;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Chaos soak: 50 real listeners on 127.0.0.1, 15 of them (30 %) going down and coming back on the
 * same port with the same identity at seeded random times, while 8 client threads send
 * request/response traffic through {@code acquireAny} and {@code acquire}. Every call must return
 * or throw a typed exception within {@link #CALL_DEADLINE} (a call past it is "lost"), limits must
 * hold in every sample, breakers must open on the way down and close after the peers return, and
 * once everything is closed the process must hold no more descriptors or threads than before.
 *
 * <p>Figures: {@code target/reliability/chaos-soak.json|txt}.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class ChaosSoakTest {

    private static final int PEERS = 50;
    private static final int FLAPPING = 15;
    private static final int CLIENTS = 8;
    private static final int CANDIDATES = 4;
    private static final int PER_PEER = 3;
    private static final int MAX_TOTAL = 100;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
    /**
     * Longest a call may legitimately take: acquireAny may try all four candidates, each waiting
     * up to acquire-timeout (1 s) and dialing twice (1 s each, 50-100 ms backoff), then the request
     * (2 s): about 14.5 s. A call still running after this is a hang.
     */
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(20);

    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> events = new ConcurrentHashMap<>();
    private final LongAdder sent = new LongAdder();
    private final LongAdder succeeded = new LongAdder();
    private final LongAdder typedFailures = new LongAdder();
    private final LongAdder untyped = new LongAdder();
    private final LongAdder corrupted = new LongAdder();
    private final LongAdder lost = new LongAdder();
    private final Distribution successLatency = new Distribution();
    private final Distribution failureLatency = new Distribution();
    private final List<String> untypedSamples = Collections.synchronizedList(new ArrayList<>());
    private final BreakerRecovery recovery = new BreakerRecovery();

    /** On both transports: libp2p leases are streams (up to the default 32 per connection). */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void poolLosesNoRequestKeepsItsLimitsAndLeaksNothingWhileAThirdOfItsPeersFlap(Transport transport) throws Exception {
        Size size = Size.current();
        Duration soak = size.pick(Duration.ofSeconds(25), Duration.ofMinutes(5));
        Figures figures = Figures.forRun(getClass(), size);
        figures.put("soakDuration", soak);
        ProcessProbe baseline = ProcessProbe.baseline();
        Figures process = figures.section("process");
        baseline.report(process, "baseline");

        List<LoopbackPeer> peers = new ArrayList<>();
        OptimizedConnectionPool pool = null;
        Flapper flapper = null;
        LimitSampler sampler = null;
        try (LogCapture logs = LogCapture.problems(); LeakWatch leaks = new LeakWatch()) {
            for (int i = 0; i < PEERS; i++) {
                peers.add(LoopbackPeer.start());
            }
            List<LoopbackPeer> shuffled = new ArrayList<>(peers);
            Collections.shuffle(shuffled, new Random(Size.SEED));
            List<LoopbackPeer> flapping = shuffled.subList(0, FLAPPING);

            pool = new OptimizedConnectionPool(config(transport));
            pool.subscribeEvents(this::onEvent);
            AutoCloseable monitor = pool.startHealthMonitor();
            sampler = new LimitSampler(pool, MAX_TOTAL, PER_PEER);
            flapper = new Flapper(pool, flapping, recovery);
            List<Client> clients = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(new Client(i, pool, peers));
            }
            clients.forEach(Client::start);
            await("the soak to run its course").pollInterval(Duration.ofMillis(250)).atMost(soak.plusMinutes(1))
                    .until(() -> System.nanoTime() - start >= soak.toNanos());
            int peakThreads = sampler.peakThreads.get();
            int peakFds = sampler.peakFds.get();

            for (Client c : clients) {
                c.stopAndJoin();
            }
            figures.put("clientsRanMs", Figures.millisSince(start));
            flapper.stopAndRestoreAll();
            sampler.stop();

            OptimizedConnectionPool drained = pool;
            await("every lease returned and no dial or wait left").atMost(Duration.ofSeconds(15))
                    .until(() -> {
                        PoolStats s = drained.getStats();
                        return s.activeConnections() == 0 && s.pendingConnections() == 0
                                && s.waitingAcquires() == 0;
                    });
            PoolStats afterDrain = pool.getStats();
            long recoveredMs = awaitEveryPeerServedWithItsBreakerClosed(pool, peers);

            long closing = System.nanoTime();
            monitor.close();
            pool.close();
            figures.put("poolCloseMs", Figures.millisSince(closing));
            PoolStats afterClose = pool.getStats();
            for (LoopbackPeer p : peers) {
                p.close();
            }
            baseline.awaitBackToBaseline(Duration.ofSeconds(30));
            ProcessProbe after = ProcessProbe.now();
            after.report(process, "after");
            process.put("peakThreadsDuringSoak", peakThreads);
            process.put("peakFileDescriptorsDuringSoak", peakFds);
            process.put("threadsLeft", baseline.newThreads());

            List<String> leakReports = leaks.collectLeaks();
            figures.put("nettyLeakReports", leakReports.size());
            figures.put("suspiciousLogLines", logs.suspicious().size());
            figures.put("logLinesByLevel", logs.countByLevel());
            report(figures, flapper, sampler, afterDrain, afterClose, recoveredMs);
            figures.write(transport == Transport.GUARDIAN ? "chaos-soak" : "chaos-soak-libp2p");

            assertThat(leakReports).as("Netty leak reports").isEmpty();
            assertThat(logs.suspicious()).as("log lines pointing at an unhandled or untyped failure").isEmpty();
            assertThat(afterDrain.activeConnections()).isZero();
            assertThat(afterDrain.pendingConnections()).isZero();
            assertThat(afterDrain.waitingAcquires()).isZero();
            assertThat(afterClose.openConnections()).as("connections open after close").isZero();
        } finally {
            // Nothing may outlive a failed soak into the next test class (all of these are idempotent).
            if (flapper != null) {
                flapper.stop();
            }
            if (sampler != null) {
                sampler.stop();
            }
            if (pool != null) {
                pool.close();
            }
            peers.forEach(LoopbackPeer::close);
        }

        assertThat(lost.sum()).as("calls that neither returned nor threw within " + CALL_DEADLINE).isZero();
        assertThat(untyped.sum()).as("calls that failed with an exception outside GuardianPoolException: "
                + untypedSamples).isZero();
        assertThat(corrupted.sum()).as("replies that were not the echo of their request").isZero();
        assertThat(succeeded.sum()).as("successful requests").isPositive();
        assertThat(typedFailures.sum()).as("typed failures (the flapping must be felt)").isPositive();
        assertThat(count("CircuitBreakerOpen")).as("breakers opened").isPositive();
        assertThat(count("CircuitBreakerClosed")).as("breakers closed again").isPositive();
        assertThat(recovery.closeAfterReturn.count()).as("returns after which the breaker closed").isPositive();
        assertThat(sampler.violations).as("limit violations seen by the sampler").isEmpty();
        assertThat(sampler.maxOpenPerPeer.get()).isLessThanOrEqualTo(PER_PEER);
        assertThat(flapper.downs.get()).as("flaps performed").isGreaterThanOrEqualTo(FLAPPING);
    }

    private static PoolConfig config(Transport transport) {
        return PoolConfig.builder()
                .transport(transport)
                .maxConnectionsPerPeer(PER_PEER)
                .maxTotalConnections(MAX_TOTAL)
                .connectionTimeout(Duration.ofSeconds(1))
                .acquireTimeout(Duration.ofSeconds(1))
                .maxRetryAttempts(1)
                .initialRetryBackoff(Duration.ofMillis(50))
                .backoffMultiplier(2.0)
                .circuitBreakerFailureThreshold(3)
                .circuitBreakerOpenTimeout(Duration.ofMillis(250))
                .circuitBreakerMaxOpenTimeout(Duration.ofSeconds(2))
                .healthCheckInterval(Duration.ofMillis(500))
                .pingTimeout(Duration.ofMillis(300))
                .idleTimeout(Duration.ofSeconds(10))
                .eventBufferSize(1 << 16)
                .build();
    }

    private void onEvent(ConnectionEvent event) {
        events.computeIfAbsent(event.getClass().getSimpleName(), k -> new LongAdder()).increment();
        if (event instanceof ConnectionEvent.CircuitBreakerClosed) {
            recovery.closed(event.peerId(), System.nanoTime());
        }
    }

    private long count(String event) {
        LongAdder n = events.get(event);
        return n == null ? 0 : n.sum();
    }

    /**
     * After the flapping stops, every peer (flapping or not) must serve a request again and end
     * with a closed breaker; probes are what closes a half-open breaker, so this keeps calling.
     *
     * @return milliseconds until the last peer got there
     */
    private static long awaitEveryPeerServedWithItsBreakerClosed(OptimizedConnectionPool pool,
            List<LoopbackPeer> peers) {
        long start = System.nanoTime();
        byte[] ping = {42};
        await("every peer served again with a closed breaker").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20)).until(() -> {
                    boolean all = true;
                    for (LoopbackPeer p : peers) {
                        if (PoolFigures.breakerState(pool, p.id) == CircuitState.CLOSED && servedOnce(pool, p)) {
                            continue;
                        }
                        all = false;
                        try (PeerConnection lease = pool.acquire(p.id, p.address)) {
                            lease.request(ping, REQUEST_TIMEOUT);
                        } catch (GuardianPoolException notYet) {
                            // open or half-open with a probe under way: the next poll tries again
                        }
                    }
                    return all;
                });
        return Figures.millisSince(start);
    }

    private static boolean servedOnce(OptimizedConnectionPool pool, LoopbackPeer p) {
        try (PeerConnection lease = pool.acquire(p.id, p.address)) {
            return Arrays.equals(lease.request(new byte[] {7}, REQUEST_TIMEOUT), new byte[] {7});
        } catch (GuardianPoolException e) {
            return false;
        }
    }

    private void report(Figures figures, Flapper flapper, LimitSampler sampler, PoolStats afterDrain,
            PoolStats afterClose, long recoveredMs) {
        Figures requests = figures.section("requests");
        requests.put("sent", sent.sum());
        requests.put("succeeded", succeeded.sum());
        requests.put("failedTyped", typedFailures.sum());
        requests.put("failedUntyped", untyped.sum());
        requests.put("corruptedReplies", corrupted.sum());
        requests.put("lost", lost.sum());
        requests.put("callDeadline", CALL_DEADLINE);
        Map<String, Long> byType = new TreeMap<>();
        outcomes.forEach((k, v) -> byType.put(k, v.sum()));
        requests.put("outcomes", byType);
        successLatency.summary(requests.section("successLatency"));
        failureLatency.summary(requests.section("failureLatency"));
        if (!untypedSamples.isEmpty()) {
            requests.put("untypedSamples", untypedSamples.subList(0, Math.min(5, untypedSamples.size())));
        }

        Figures chaos = figures.section("flapping");
        chaos.put("peers", PEERS);
        chaos.put("flappingPeers", FLAPPING);
        chaos.put("downs", flapper.downs.get());
        chaos.put("returns", flapper.ups.get());
        chaos.put("rebindRetries", flapper.bindRetries.get());

        Figures breakers = figures.section("breakers");
        Map<String, Long> byEvent = new TreeMap<>();
        events.forEach((k, v) -> byEvent.put(k, v.sum()));
        breakers.put("events", byEvent);
        breakers.put("opened", count("CircuitBreakerOpen"));
        breakers.put("halfOpened", count("CircuitBreakerHalfOpen"));
        breakers.put("closed", count("CircuitBreakerClosed"));
        synchronized (recovery) {
            breakers.put("returnsWithBreakerNotClosed", recovery.returnsWithOpenBreaker);
            breakers.put("wentDownAgainBeforeClosing", recovery.downBeforeClosed);
        }
        recovery.closeAfterReturn.summary(breakers.section("closedAfterPeerReturn"));
        breakers.put("allPeersServedWithClosedBreakerAfterFlappingStoppedMs", recoveredMs);

        Figures limits = figures.section("limits");
        limits.put("samples", sampler.samples.get());
        limits.put("maxTotalConnections", MAX_TOTAL);
        limits.put("maxConnectionsPerPeer", PER_PEER);
        limits.put("maxOpenSampled", sampler.maxOpen.get());
        limits.put("maxOpenPerPeerSampled", sampler.maxOpenPerPeer.get());
        limits.put("maxActiveSampled", sampler.maxActive.get());
        limits.put("clientThreads", CLIENTS);
        limits.put("maxWaitingSampled", sampler.maxWaiting.get());
        limits.put("violations", sampler.violations.size());
        limits.put("overLimitReadingsNotConfirmedByASecondRead", sampler.overCountSamples.get());
        if (!sampler.overCounts.isEmpty()) {
            limits.put("overLimitReadings", new ArrayList<>(sampler.overCounts));
        }
        if (!sampler.violations.isEmpty()) {
            limits.put("violationSamples", new ArrayList<>(sampler.violations.subList(0,
                    Math.min(5, sampler.violations.size()))));
        }

        Figures pool = figures.section("pool");
        pool.put("afterDrain", PoolFigures.stats(afterDrain));
        pool.put("afterClose", PoolFigures.stats(afterClose));
    }

    // ---------------------------------------------------------------- clients

    /** One client thread; its calls run on a worker so that a hang shows as a missed deadline. */
    private final class Client {
        private final int index;
        private final OptimizedConnectionPool pool;
        private final List<LoopbackPeer> peers;
        private final Random random;
        private final Thread thread;
        private volatile boolean running = true;
        private ExecutorService worker;
        private long sequence;

        Client(int index, OptimizedConnectionPool pool, List<LoopbackPeer> peers) {
            this.index = index;
            this.pool = pool;
            this.peers = peers;
            this.random = new Random(Size.SEED * 31 + index);
            this.worker = newWorker();
            this.thread = new Thread(this::run, "soak-client-" + index);
            this.thread.setDaemon(true);
        }

        private ExecutorService newWorker() {
            return Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "soak-call-" + index);
                t.setDaemon(true);
                return t;
            });
        }

        void start() {
            thread.start();
        }

        void stopAndJoin() throws InterruptedException {
            running = false;
            thread.join(CALL_DEADLINE.plusSeconds(10).toMillis());
            assertThat(thread.isAlive()).as(thread.getName() + " ended").isFalse();
            worker.shutdownNow();
            assertThat(worker.awaitTermination(10, TimeUnit.SECONDS)).as("call worker " + index + " ended").isTrue();
        }

        private void run() {
            while (running) {
                boolean any = random.nextBoolean();
                List<PeerAddress> candidates = new ArrayList<>(CANDIDATES);
                if (any) {
                    List<LoopbackPeer> copy = new ArrayList<>(peers);
                    Collections.shuffle(copy, random);
                    for (int i = 0; i < CANDIDATES; i++) {
                        candidates.add(copy.get(i).candidate());
                    }
                } else {
                    candidates.add(peers.get(random.nextInt(peers.size())).candidate());
                }
                byte[] payload = new byte[16 + random.nextInt(48)];
                random.nextBytes(payload);
                ByteBuffer.wrap(payload).putInt(index).putLong(sequence++);
                String kind = any ? "acquireAny" : "acquire";
                sent.increment();
                long start = System.nanoTime();
                Future<Boolean> call = worker.submit(() -> call(any, candidates, payload));
                try {
                    boolean echoed = call.get(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
                    if (echoed) {
                        succeeded.increment();
                        successLatency.add(System.nanoTime() - start);
                        outcome(kind + ": ok");
                    } else {
                        corrupted.increment();
                        outcome(kind + ": wrong reply");
                    }
                } catch (ExecutionException e) {
                    failureLatency.add(System.nanoTime() - start);
                    Throwable cause = e.getCause();
                    if (cause instanceof GuardianPoolException) {
                        typedFailures.increment();
                        outcome(kind + ": " + PoolFigures.describe((GuardianPoolException) cause));
                    } else {
                        untyped.increment();
                        outcome(kind + ": UNTYPED " + cause.getClass().getName());
                        if (untypedSamples.size() < 20) {
                            untypedSamples.add(cause.toString());
                        }
                    }
                } catch (TimeoutException e) {
                    lost.increment();
                    outcome(kind + ": LOST");
                    call.cancel(true);
                    worker.shutdownNow();
                    worker = newWorker();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        private boolean call(boolean any, List<PeerAddress> candidates, byte[] payload) {
            PeerAddress target = candidates.get(0);
            PeerConnection lease = any ? pool.acquireAny(candidates) : pool.acquire(target.peerId(), target.address());
            // As a plain caller would: whatever happens, close the lease. The pool must make sure
            // that a late reply to a timed-out request never reaches the next caller ("corrupted").
            try {
                return Arrays.equals(lease.request(payload, REQUEST_TIMEOUT), payload);
            } finally {
                lease.close();
            }
        }
    }

    private void outcome(String key) {
        outcomes.computeIfAbsent(key, k -> new LongAdder()).increment();
    }
}
