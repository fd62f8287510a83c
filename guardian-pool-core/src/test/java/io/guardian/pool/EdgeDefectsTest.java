package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.breaker.CircuitBreakerView;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.internal.pool.FakeConnection;
import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The edge defects of issue 13, each reproduced as a user would meet it through the public API.
 * Every test here failed before its fix.
 */
@Timeout(30)
@ParameterizedClass
@EnumSource(Transport.class)
class EdgeDefectsTest {

    /**
     * Both transports: libp2p with one stream per connection, so that what these tests count
     * (leases, connections, waiters) lines up as on guardian-db.
     */
    @Parameter
    Transport transport;

    @RegisterExtension
    final TestPeers peers = new TestPeers();

    private FakePool fp;

    @AfterEach
    void closeFakePool() {
        if (fp != null) {
            fp.close();
        }
    }

    private FakePool fake(PoolConfig.Builder config) {
        fp = new FakePool(config.build());
        return fp;
    }

    @Test
    void anAsyncAcquireThatDialsNeverCompletesOnANetworkThread() {
        LoopbackPool p = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(transport).maxStreamsPerConnection(1).build()));
        TestPeers.Peer peer = peers.start();
        AtomicReference<String> thread = new AtomicReference<>();

        byte[] reply = p.pool.acquireAsync(peer.id(), peer.address()).thenApply(lease -> {
            thread.set(Thread.currentThread().getName());
            try (lease) {
                // Blocking here is what callers do; on an event loop it would starve the reply.
                return lease.request(new byte[] {7}, Duration.ofSeconds(5));
            }
        }).orTimeout(20, TimeUnit.SECONDS).join();

        assertThat(reply).containsExactly(7);
        assertThat(thread.get()).doesNotStartWith(EventLoops.IO_THREAD_PREFIX)
                .doesNotStartWith(EventLoops.OFFLOAD_THREAD_PREFIX);
        assertThat(p.pool.getStats().connectionsFailed()).isZero();
    }

    @Test
    void aStaleIdThrowsAndNeverActsOnTheNextHolder() {
        FakePool p = fake(PoolConfig.builder());
        String first = p.pool.getConnection(FakePool.peer(1), FakePool.addr(1));
        p.pool.releaseConnection(FakePool.peer(1), first);
        String second = p.pool.getConnection(FakePool.peer(1), FakePool.addr(1)); // the same connection, reused
        assertThat(p.pool.getStats().connectionsReused()).isEqualTo(1);

        assertThatThrownBy(() -> p.pool.releaseConnection(FakePool.peer(1), first))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("released already");
        assertThatThrownBy(() -> p.pool.connection(first)).isInstanceOf(IllegalStateException.class);

        PeerConnection current = p.pool.connection(second);
        assertThat(current.request(new byte[] {1}, Duration.ofSeconds(1))).containsExactly(1);
        assertThat(p.pool.getStats().activeConnections()).isEqualTo(1);
        p.pool.releaseConnection(FakePool.peer(1), second);
        assertThat(p.pool.getStats().activeConnections()).isZero();
        assertThat(p.pool.getStats().pooledConnections()).isEqualTo(1);
    }

    @Test
    void aTimedOutReceiveNeverLendsTheConnectionOn() throws Exception {
        LoopbackPool p = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(transport).maxStreamsPerConnection(1).build()));
        CountDownLatch late = new CountDownLatch(1);
        TestPeers.Peer peer = peers.start((from, message) -> {
            if (message[0] == 1) {
                try {
                    late.await(10, TimeUnit.SECONDS); // the first caller's reply comes late
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return message;
        });

        PeerConnection first = p.acquire(peer);
        first.send(new byte[] {1});
        assertThatThrownBy(() -> first.receive(Duration.ofMillis(50))).isInstanceOf(RequestTimeoutException.class)
                .satisfies(e -> assertThat(((GuardianPoolException) e).retryable()).isFalse());
        String firstId = first.id();
        first.close();
        late.countDown();

        try (PeerConnection next = p.acquire(peer)) {
            if (transport == Transport.GUARDIAN) {
                assertThat(next.id()).isNotEqualTo(firstId);
            } else {
                // libp2p: the late reply died with the first lease's stream (reset at the timeout),
                // so the connection is lent on; the next lease's reply is its own.
                assertThat(next.id()).isEqualTo(firstId);
            }
            assertThat(next.request(new byte[] {2}, Duration.ofSeconds(5))).containsExactly(2);
        }
        assertThat(p.pool.getStats().connectionsCreated()).isEqualTo(transport == Transport.GUARDIAN ? 2 : 1);
    }

    @Test
    void aHalfOpenBreakerSettlesOnTheProbeLeasesOutcomeAtRelease() {
        FakePool p = fake(PoolConfig.builder().circuitBreakerFailureThreshold(1)
                .circuitBreakerOpenTimeout(Duration.ofSeconds(1)));
        PeerId peer = FakePool.peer(2);
        p.acquire(2).close(); // an idle connection to take as the probe
        p.pool.recordFailure(peer);
        assertThat(breaker(p, peer).state()).isEqualTo(CircuitState.OPEN);
        p.clock.advance(Duration.ofSeconds(1));

        for (int probe = 1; probe <= 3; probe++) {
            PeerConnection lease = p.acquire(2);
            // Taking the idle connection proves nothing: no success yet, and no second probe.
            assertThat(breaker(p, peer).state()).isEqualTo(CircuitState.HALF_OPEN);
            assertThat(breaker(p, peer).successCount()).isEqualTo(probe - 1);
            assertThatThrownBy(() -> p.acquire(2)).isInstanceOf(CircuitBreakerOpenException.class);
            p.pool.recordSuccess(peer); // not the probe: ignored while half-open
            assertThat(breaker(p, peer).successCount()).isEqualTo(probe - 1);
            assertThat(lease.request(new byte[] {1}, Duration.ofSeconds(1))).containsExactly(1);
            lease.close();
        }
        assertThat(breaker(p, peer).state()).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void aHalfOpenBreakerReopensWhenTheProbeLeaseFails() {
        FakePool p = fake(PoolConfig.builder().circuitBreakerFailureThreshold(1)
                .circuitBreakerOpenTimeout(Duration.ofSeconds(1)));
        PeerId peer = FakePool.peer(3);
        p.acquire(3).close();
        p.pool.recordFailure(peer);
        p.clock.advance(Duration.ofSeconds(1));

        PeerConnection probe = p.acquire(3);
        assertThat(breaker(p, peer).state()).isEqualTo(CircuitState.HALF_OPEN);
        probe.markFailed(new IllegalStateException("bad reply"));

        assertThat(breaker(p, peer).state()).isEqualTo(CircuitState.OPEN);
    }

    private static CircuitBreakerView breaker(FakePool p, PeerId peer) {
        return p.pool.peer(peer).orElseThrow().circuitBreaker();
    }

    @Test
    void aListenerThatInterruptsOrThrowsDoesNotStopEventDelivery() {
        FakePool p = fake(PoolConfig.builder());
        List<ConnectionEvent> seen = new CopyOnWriteArrayList<>();
        p.pool.subscribeEvents(e -> Thread.currentThread().interrupt());
        p.pool.subscribeEvents(e -> {
            throw new IllegalStateException("listener bug");
        });
        p.pool.subscribeEvents(seen::add);

        for (int i = 0; i < 3; i++) {
            p.acquire(10 + i).close();
            p.pool.evict(FakePool.peer(10 + i));
        }

        Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> seen.stream().filter(e -> e instanceof ConnectionEvent.Disconnected).count() == 3);
        assertThat(seen).filteredOn(e -> e instanceof ConnectionEvent.Connected).hasSize(3);
    }

    @Test
    void aThrowingPassDoesNotStopHousekeeping() {
        FakePool p = fake(PoolConfig.builder().healthCheckInterval(Duration.ofSeconds(10))
                .idleTimeout(Duration.ofSeconds(60)));
        p.acquire(20).close();
        FakeConnection c = p.connector.connections().get(0);
        c.failNextIsOpen(new IllegalStateException("transport bug"));

        p.scheduler.advance(Duration.ofSeconds(10)); // this pass throws
        assertThat(p.pool.getStats().pooledConnections()).isEqualTo(1);
        p.scheduler.advance(Duration.ofSeconds(60)); // later passes still run: idle-timeout is enforced

        assertThat(p.pool.getStats().pooledConnections()).isZero();
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void housekeepingRunsWithoutStartingTheHealthMonitor() {
        FakePool p = fake(PoolConfig.builder().healthCheckInterval(Duration.ofSeconds(10))
                .idleTimeout(Duration.ofSeconds(30)).circuitBreakerMaxOpenTimeout(Duration.ofSeconds(30)));
        List<HealthReport> reports = new CopyOnWriteArrayList<>();
        p.pool.onHealthReport(reports::add);
        p.acquire(21).close();

        p.scheduler.advance(Duration.ofSeconds(80));

        assertThat(p.pool.getStats().openConnections()).isZero(); // closed at idle-timeout
        assertThat(p.connector.connections().get(0).pingsReceived()).isZero(); // PINGs stay opt-in
        assertThat(p.pool.peers()).isEmpty(); // and the unused peer was forgotten
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> reports.size() >= 7);
        assertThat(reports).anySatisfy(r -> assertThat(r.evicted()).isEqualTo(1));
    }

    @Test
    void anInterruptedReceiveIsItsOwnExceptionNeitherRetryableNorChargedToThePeer() {
        LoopbackPool p = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(transport).maxStreamsPerConnection(1).circuitBreakerFailureThreshold(1)
                .build()));
        TestPeers.Peer peer = peers.start((from, message) -> null); // never answers
        PeerConnection lease = p.acquire(peer);
        lease.send(new byte[] {1});

        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> lease.receive(Duration.ofSeconds(5))).isInstanceOf(PoolInterruptedException.class)
                .satisfies(e -> assertThat(((GuardianPoolException) e).retryable()).isFalse());
        assertThat(Thread.interrupted()).isTrue();
        lease.close();

        assertThat(p.pool.checkCircuitBreaker(peer.id())).isTrue();
        assertThat(p.pool.peer(peer.id()).orElseThrow().circuitBreaker().failureCount()).isZero();
        assertThat(p.pool.getStats().connectionsFailed()).isZero();
        // guardian-db: not lent on, a reply may still come; libp2p: the stream was reset, the
        // connection stays.
        assertThat(p.pool.getStats().openConnections()).isEqualTo(transport == Transport.GUARDIAN ? 0 : 1);
    }

    @Test
    void anInterruptedAcquireIsItsOwnException() {
        FakePool p = fake(PoolConfig.builder().maxConnectionsPerPeer(1));
        try (PeerConnection held = p.acquire(22)) {
            Thread.currentThread().interrupt();
            assertThatThrownBy(() -> p.acquire(22)).isInstanceOf(PoolInterruptedException.class)
                    .satisfies(e -> assertThat(((GuardianPoolException) e).retryable()).isFalse());
            assertThat(Thread.interrupted()).isTrue();
        }
        assertThat(p.pool.getStats().waitingAcquires()).isZero();
        assertThat(p.pool.peer(FakePool.peer(22)).orElseThrow().circuitBreaker().failureCount()).isZero();
    }

    @Test
    void aLeaseHandedToACallerJustInterruptedGoesBackToThePool() throws Exception {
        FakePool p = fake(PoolConfig.builder().maxConnectionsPerPeer(1));
        AtomicReference<PeerConnection> held = new AtomicReference<>(p.acquire(25));
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        // The caller waits at the peer's limit. Its interrupt wakes it; as it handles it (the wait
        // saw no lease yet, and the caller restores its interrupt flag), the held lease is closed and
        // handed to the caller's still-queued acquisition on this very thread: the order a real
        // release racing an interrupt takes. Nobody holds that lease then unless the acquire
        // returns it or gives it back.
        Thread caller = new Thread(() -> {
            try (PeerConnection got = p.acquire(25)) {
                outcome.set(null);
            } catch (RuntimeException e) {
                outcome.set(e);
            }
        }, "interrupted-caller") {
            @Override
            public void interrupt() {
                if (Thread.currentThread() == this) {
                    PeerConnection h = held.getAndSet(null);
                    if (h != null) {
                        h.close();
                    }
                }
                super.interrupt();
            }
        };
        caller.start();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> p.pool.getStats().waitingAcquires() == 1);
        caller.interrupt();
        caller.join(Duration.ofSeconds(5).toMillis());
        assertThat(caller.isAlive()).isFalse();
        assertThat(held.get()).as("the held lease was closed while the caller handled its interrupt").isNull();
        assertThat(outcome.get()).isInstanceOf(PoolInterruptedException.class);

        PoolStats stats = p.pool.getStats();
        assertThat(stats.activeConnections()).as("leases nobody holds").isZero();
        assertThat(stats.pooledConnections()).as("the connection, pooled for the next caller").isEqualTo(1);
        try (PeerConnection next = p.acquire(25)) {
            assertThat(p.pool.getStats().connectionsCreated()).isEqualTo(1);
        }
    }

    @Test
    void aCallerWhoseDeadlinePassedBetweenTwoWaitsFailsAtAcquireTimeoutInsteadOfWaitingOn() {
        FakePool p = fake(PoolConfig.builder().maxConnectionsPerPeer(1).maxTotalConnections(2)
                .acquireTimeout(Duration.ofSeconds(1)));
        PeerConnection held = p.acquire(26); // peer 26 at its limit
        PeerConnection other = p.acquire(27); // and the pool at its limit
        CompletableFuture<PeerConnection> caller = p.pool.acquireAsync(FakePool.peer(26), FakePool.addr(26));
        p.clock.advance(Duration.ofMillis(500));
        CompletableFuture<PeerConnection> ahead = p.pool.acquireAsync(FakePool.peer(28), FakePool.addr(28));
        p.clock.advance(Duration.ofMillis(600)); // the caller's acquire-timeout is due, not yet run
        // The held lease ends on a connection to close: its room under the peer limit goes to the
        // caller, then its socket closes, and there (as a late timer thread would) the caller's
        // deadline task runs while the caller is between its two waits, and finds nothing to end.
        // The freed permit goes to the caller queued ahead at the global limit; the caller then
        // queues there too, its one deadline task spent.
        p.pool.evict(FakePool.peer(26));
        p.connector.connections().get(0).closeFuture().thenRun(p.scheduler::runDue);
        held.close();
        assertThat(ahead).isCompleted();

        p.scheduler.advance(Duration.ofSeconds(5)); // whatever is still scheduled runs

        assertThat(caller).as("failed at acquire-timeout, not left waiting").isCompletedExceptionally();
        assertThatThrownBy(caller::join).hasCauseInstanceOf(PoolExhaustedException.class);
        assertThat(p.pool.getStats().waitingAcquires()).isZero();
        ahead.join().close();
        other.close();
    }

    @Test
    void aDialTimeoutIsRetryableAndDistinctFromARequestTimeout() {
        FakePool p = fake(PoolConfig.builder().maxRetryAttempts(0));
        p.connector.failWith(FakePool.peer(23), () -> new ConnectionTimeoutException("connect timed out"));

        assertThatThrownBy(() -> p.acquire(23)).isInstanceOf(DialTimeoutException.class)
                .isInstanceOf(ConnectionTimeoutException.class)
                .satisfies(e -> assertThat(((GuardianPoolException) e).retryable()).isTrue());
    }

    @Test
    void anAcquireHonoursOneOverallDeadlineAcrossRetries() {
        FakePool p = fake(PoolConfig.builder().maxRetryAttempts(5).initialRetryBackoff(Duration.ofSeconds(1))
                .backoffMultiplier(2.0).circuitBreakerFailureThreshold(20).acquireTimeout(Duration.ofSeconds(1))
                .acquireDeadline(Duration.ofSeconds(3)));
        p.connector.failWith(FakePool.peer(24), () -> new ConnectionFailedException("refused"));

        CompletableFuture<PeerConnection> f = p.pool.acquireAsync(FakePool.peer(24), FakePool.addr(24));
        for (int step = 0; step < 10; step++) {
            // Each dial's outcome is handled off the connector's thread: wait for the retry it schedules.
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> f.isDone() || p.scheduler.pending() > 0);
            if (f.isDone()) {
                break;
            }
            List<Long> delays = p.scheduler.scheduledDelays();
            p.scheduler.advance(Duration.ofNanos(delays.get(delays.size() - 1)));
        }

        // Backoffs 0.75 s, 1.5 s (jitter 0.5): attempts at 0, 0.75 and 2.25 s; the next would start
        // at 5.25 s, past the 3 s deadline, so it fails with the last dial's error instead.
        assertThat(f).isCompletedExceptionally();
        assertThatThrownBy(f::join).cause().isInstanceOf(ConnectionFailedException.class);
        assertThat(p.connector.attempts()).hasSize(3);
        assertThat(p.pool.getStats().pendingConnections()).isZero();
    }

    @Test
    void anUnexpectedFailureWhileTakingADialInFailsTheAcquireInsteadOfParkingIt() {
        FakePool p = fake(PoolConfig.builder().maxRetryAttempts(0));
        p.connector.hold(FakePool.peer(25));
        CompletableFuture<PeerConnection> f = p.pool.acquireAsync(FakePool.peer(25), FakePool.addr(25));
        FakeConnection broken = p.connector.newConnection(FakePool.peer(25), FakePool.addr(25));
        broken.failHandshakeRtt(new IllegalStateException("bug"));

        p.connector.pending().get(0).complete(broken);

        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(ConnectionFailedException.class);
        assertThat(p.pool.getStats().openConnections()).isZero();
        assertThat(broken.isOpen()).isFalse();
    }

    @Test
    void anEvictRacingAReleaseIsNotLost() {
        FakePool p = fake(PoolConfig.builder());
        PeerConnection lease = p.acquire(26);
        lease.request(new byte[] {1}, Duration.ofSeconds(1)); // touched: release reads its byte counts
        FakeConnection c = p.connector.connections().get(0);
        // Lands inside the release, after the lease is closed and before the peer's lock is taken.
        c.onNextBytesSent(() -> p.pool.evict(FakePool.peer(26)));

        lease.close();

        assertThat(c.isOpen()).isFalse();
        assertThat(p.pool.getStats().openConnections()).isZero();
    }

    @Test
    void aPingToAConnectionThePoolClosedMeanwhileIsNotALoss() throws Exception {
        FakePool p = fake(PoolConfig.builder().pingTimeout(Duration.ofSeconds(5)));
        p.acquire(27).close();
        FakeConnection c = p.connector.connections().get(0);
        c.holdPings(true);

        CompletableFuture<HealthReport> pass = CompletableFuture.supplyAsync(p.pool::checkHealth);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> c.pingsReceived() == 1);
        p.pool.evict(FakePool.peer(27)); // the pool's own choice, while the PING is out

        HealthReport report = pass.get(15, TimeUnit.SECONDS);
        assertThat(report.lost()).isZero();
        assertThat(report.failed()).isZero();
        assertThat(p.pool.getStats().connectionsFailed()).isZero();
    }

    @Test
    void aScrapeReadsPerPeerSumsThatMatchTheConnections() {
        FakePool p = fake(PoolConfig.builder());
        for (int i = 0; i < 3; i++) {
            try (PeerConnection a = p.acquire(28); PeerConnection b = p.acquire(28)) {
                p.clock.advance(Duration.ofMillis(10)); // leases held for a measured time
                a.request(new byte[100 * (i + 1)], Duration.ofSeconds(1));
                b.request(new byte[7], Duration.ofSeconds(1));
            }
        }
        PeerSnapshot full = p.pool.peer(FakePool.peer(28)).orElseThrow();
        long sum = full.connections().stream().mapToLong(c -> c.info().bandwidthBps()).sum();
        assertThat(sum).isPositive();
        assertThat(p.pool.getStats().totalBandwidthBps()).isEqualTo(sum);

        PeerSnapshot summary = p.pool.peerSummary(FakePool.peer(28)).orElseThrow();
        assertThat(summary.connections()).isEmpty();
        assertThat(summary.idle()).isEqualTo(full.idle()).isEqualTo(2);
        assertThat(p.pool.peerSummaries()).extracting(PeerSnapshot::peerId).containsExactly(FakePool.peer(28));
        p.pool.evict(FakePool.peer(28));
        assertThat(p.pool.getStats().totalBandwidthBps()).isZero();
    }

    @Test
    void aPeerThatNeverReadsCannotGrowOurHeapWithoutBound() {
        System.setProperty("guardian.transport.writeStallMillis", "1000");
        try {
            LoopbackPool p = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(transport).maxStreamsPerConnection(1).build()));
            TestPeers.Peer peer = peers.startBehindProxy();
            PeerConnection lease = p.acquire(peer);
            peer.proxy().stallRequests(true);
            byte[] chunk = new byte[64 * 1024];
            long sent = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            Throwable failure = null;
            while (failure == null && System.nanoTime() < deadline) {
                try {
                    lease.send(chunk);
                    sent += chunk.length;
                } catch (ConnectionClosedException | RequestTimeoutException e) {
                    failure = e;
                }
            }
            // guardian-db: the connection is closed once the peer stops reading; libp2p: the
            // stream's send waits for the peer's window and gives up at the write timeout.
            assertThat(failure).as("a send must stop once the peer stops reading").isNotNull()
                    .hasMessageContaining(transport == Transport.GUARDIAN ? "stopped reading" : "window stayed full");
            // What the kernel's buffers took, plus one Netty high-water mark (guardian-db) or one
            // yamux window (libp2p): far below unbounded.
            assertThat(sent).isLessThan(transport == Transport.GUARDIAN ? 256L << 20 : 4L << 20);
            lease.close();
            if (transport == Transport.GUARDIAN) {
                assertThat(p.pool.getStats().openConnections()).isZero();
            }
            peer.proxy().stallRequests(false);
        } finally {
            System.clearProperty("guardian.transport.writeStallMillis");
        }
    }

    @Test
    void aForeverDurationFailsBuildNamingTheSetting() {
        assertThatThrownBy(() -> PoolConfig.builder().idleTimeout(Duration.ofSeconds(Long.MAX_VALUE)).build())
                .isInstanceOf(InvalidSettingException.class).hasMessageStartingWith("idle-timeout")
                .satisfies(e -> assertThat(((InvalidSettingException) e).setting()).isEqualTo("idle-timeout"));
        assertThatThrownBy(() -> PoolConfig.builder().maxConnectionsPerPeer(0).build())
                .isInstanceOf(InvalidSettingException.class)
                .satisfies(e -> assertThat(((InvalidSettingException) e).setting())
                        .isEqualTo("max-connections-per-peer"));
    }
}
