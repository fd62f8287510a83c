package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.breaker.CircuitBreakerView;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

/**
 * The per-peer breaker against a real peer behind a proxy that refuses or serves on command,
 * with the breaker's waits on the pool's stepped clock.
 */
@Timeout(30)
@ParameterizedClass
@EnumSource(Transport.class)
class CircuitBreakerTest {

    /**
     * Both transports: libp2p with one stream per connection, so that what these tests count
     * (leases, connections, waiters) lines up as on guardian-db.
     */
    @Parameter
    Transport transport;

    @RegisterExtension
    final TestPeers peers = new TestPeers();
    private LoopbackPool lp;

    /** F = 2, open 10 s, no retries, reopen × 2 capped at 60 s, jitter factor 0.9 (random 0.5). */
    private LoopbackPool pool() {
        lp = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(transport).maxStreamsPerConnection(1)
                .circuitBreakerFailureThreshold(2)
                .circuitBreakerOpenTimeout(Duration.ofSeconds(10))
                .circuitBreakerMaxOpenTimeout(Duration.ofSeconds(60))
                .backoffMultiplier(2.0)
                .maxRetryAttempts(0)
                .build()));
        return lp;
    }

    private List<Class<?>> breakerEvents() {
        return lp.events.stream()
                .filter(e -> e instanceof ConnectionEvent.CircuitBreakerOpen
                        || e instanceof ConnectionEvent.CircuitBreakerHalfOpen
                        || e instanceof ConnectionEvent.CircuitBreakerClosed)
                .<Class<?>>map(Object::getClass).toList();
    }

    @Test
    void everyBreakerTransitionRaisesItsEventInOrder() {
        LoopbackPool p = pool();
        TestPeers.Peer peer = peers.startBehindProxy();
        peer.proxy().refuse(true);

        // closed → open after F consecutive failures
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> p.acquire(peer)).isInstanceOf(HandshakeException.class);
        }
        assertThat(p.pool.checkCircuitBreaker(peer.id())).isFalse();
        int dialed = peer.proxy().accepted();

        // open rejects at once, without dialing
        assertThatThrownBy(() -> p.acquire(peer)).isInstanceOf(CircuitBreakerOpenException.class)
                .hasMessageContaining("circuit-breaker.open-timeout")
                .satisfies(e -> assertThat(((CircuitBreakerOpenException) e).peerId()).isEqualTo(peer.id()));
        assertThat(peer.proxy().accepted()).isEqualTo(dialed);
        assertThat(p.pool.getStats().rejectedByCircuitBreaker()).isEqualTo(1);
        assertThat(p.pool.getStats().openCircuits()).isEqualTo(1);

        // open → half-open after the open timeout
        p.clock.advance(Duration.ofMillis(9_999));
        assertThat(p.pool.checkCircuitBreaker(peer.id())).isFalse();
        p.clock.advance(Duration.ofMillis(1));
        assertThat(p.pool.checkCircuitBreaker(peer.id())).isTrue();

        // half-open → open again when the probe fails, with a longer (jittered) wait
        assertThatThrownBy(() -> p.acquire(peer)).isInstanceOf(HandshakeException.class);
        CircuitBreakerView reopened = p.pool.peer(peer.id()).orElseThrow().circuitBreaker();
        assertThat(reopened.state()).isEqualTo(CircuitState.OPEN);
        assertThat(reopened.timeoutMs()).isEqualTo(20_000);
        p.clock.advance(Duration.ofMillis(17_999)); // 20 s × 0.9 jitter = 18 s
        assertThat(p.pool.checkCircuitBreaker(peer.id())).isFalse();
        p.clock.advance(Duration.ofMillis(1));
        assertThat(p.pool.checkCircuitBreaker(peer.id())).isTrue();

        // half-open → closed after three successful probes, one at a time
        peer.proxy().refuse(false);
        for (int i = 0; i < 3; i++) {
            assertThat(p.pool.peer(peer.id()).orElseThrow().circuitBreaker().state()).isEqualTo(CircuitState.HALF_OPEN);
            try (PeerConnection probe = p.acquire(peer)) {
                assertThat(probe.request(new byte[] {1}, Duration.ofSeconds(5))).containsExactly(1);
            }
        }
        CircuitBreakerView closed = p.pool.peer(peer.id()).orElseThrow().circuitBreaker();
        assertThat(closed.state()).isEqualTo(CircuitState.CLOSED);
        assertThat(closed.failureCount()).isZero();
        assertThat(closed.timeoutMs()).isEqualTo(10_000);

        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> breakerEvents().size() >= 5);
        assertThat(breakerEvents()).containsExactly(
                ConnectionEvent.CircuitBreakerOpen.class,
                ConnectionEvent.CircuitBreakerHalfOpen.class,
                ConnectionEvent.CircuitBreakerOpen.class,
                ConnectionEvent.CircuitBreakerHalfOpen.class,
                ConnectionEvent.CircuitBreakerClosed.class);
        assertThat(p.events).allSatisfy(e -> assertThat(e.peerId()).isEqualTo(peer.id()));
    }

    @Test
    void halfOpenLetsExactlyOneProbeThroughAtATime() {
        LoopbackPool p = pool();
        TestPeers.Peer peer = peers.startBehindProxy();
        p.pool.recordFailure(peer.id());
        p.pool.recordFailure(peer.id());
        p.clock.advance(Duration.ofSeconds(10));
        peer.proxy().delayReplies(Duration.ofMillis(300)); // the probe's handshake takes a while

        CompletableFuture<PeerConnection> probe = p.pool.acquireAsync(peer.id(), peer.address());
        assertThat(probe).isNotDone();
        assertThatThrownBy(() -> p.acquire(peer)).isInstanceOf(CircuitBreakerOpenException.class)
                .hasMessageContaining("half-open").hasMessageContaining("probe");
        assertThat(p.pool.checkCircuitBreaker(peer.id())).isFalse();

        probe.join().close();
        assertThat(p.pool.checkCircuitBreaker(peer.id())).isTrue();
        assertThat(p.pool.peer(peer.id()).orElseThrow().circuitBreaker().successCount()).isEqualTo(1);
    }

    @Test
    void reopenWaitsGrowByTheMultiplierUpToTheCap() {
        LoopbackPool p = pool();
        var peer = PeerIdentity.generate().peerId();
        p.pool.recordFailure(peer);
        p.pool.recordFailure(peer);
        long[] expected = {20_000, 40_000, 60_000, 60_000};
        long wait = 10_000;
        for (long timeout : expected) {
            p.clock.advance(Duration.ofMillis(wait));
            assertThat(p.pool.checkCircuitBreaker(peer)).isTrue();
            p.pool.recordFailure(peer); // the probe failed
            CircuitBreakerView v = p.pool.peer(peer).orElseThrow().circuitBreaker();
            assertThat(v.timeoutMs()).isEqualTo(timeout);
            wait = timeout * 9 / 10;
        }
    }

    @Test
    void exhaustionAndCancellationAreNotCountedAsPeerFailures() {
        lp = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(transport).maxStreamsPerConnection(1).maxConnectionsPerPeer(1).circuitBreakerFailureThreshold(1)
                .acquireTimeout(Duration.ofSeconds(1)).build()));
        TestPeers.Peer peer = peers.start();
        try (PeerConnection held = lp.acquire(peer)) {
            CompletableFuture<PeerConnection> timesOut = lp.pool.acquireAsync(peer.id(), peer.address());
            CompletableFuture<PeerConnection> cancelled = lp.pool.acquireAsync(peer.id(), peer.address());
            cancelled.cancel(true);
            lp.scheduler.advance(Duration.ofSeconds(1));
            assertThat(timesOut).isCompletedExceptionally();
            assertThat(lp.pool.getStats().waitingAcquires()).isZero();
        }
        assertThat(lp.pool.checkCircuitBreaker(peer.id())).isTrue();
        assertThat(lp.pool.peer(peer.id()).orElseThrow().circuitBreaker().failureCount()).isZero();
    }

    @Test
    void resetClosesABreakerAndNeverCreatesAPeer() {
        LoopbackPool p = pool();
        var known = PeerIdentity.generate().peerId();
        var unknown = PeerIdentity.generate().peerId();
        p.pool.recordFailure(known);
        p.pool.recordFailure(known);

        assertThat(p.pool.resetCircuitBreaker(unknown)).isFalse();
        assertThat(p.pool.evict(unknown)).isFalse();
        assertThat(p.pool.peer(unknown)).isEmpty();
        assertThat(p.pool.resetCircuitBreaker(known)).isTrue();
        assertThat(p.pool.checkCircuitBreaker(known)).isTrue();
        assertThat(p.awaitEvents(ConnectionEvent.CircuitBreakerClosed.class, 1)).hasSize(1);
        assertThat(p.pool.getStats().peers()).isEqualTo(1);
    }

    @Test
    void breakersOfPeersWithNoConnectionAndNoRecentFailureAreRetired() {
        LoopbackPool p = pool();
        TestPeers.Peer live = peers.start();
        PeerConnection held = p.acquire(live);
        for (int i = 0; i < 50; i++) {
            p.pool.recordFailure(PeerIdentity.generate().peerId());
        }
        assertThat(p.pool.getStats().peers()).isEqualTo(51);

        p.clock.advance(Duration.ofMinutes(4));
        p.pool.checkHealth();
        assertThat(p.pool.getStats().peers()).isEqualTo(51);
        p.clock.advance(Duration.ofMinutes(2)); // past max(idle-timeout, max-open-timeout) = 5 min
        p.pool.checkHealth();

        assertThat(p.pool.getStats().peers()).isEqualTo(1);
        assertThat(p.pool.peer(live.id())).isPresent();
        held.close();
    }

    @Test
    void aCallerQueuedBeforeTheBreakerOpenedDoesNotDialThroughIt() {
        lp = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(transport).maxStreamsPerConnection(1).maxConnectionsPerPeer(1).circuitBreakerFailureThreshold(1)
                .maxRetryAttempts(0).build()));
        TestPeers.Peer peer = peers.startBehindProxy();
        PeerConnection held = lp.acquire(peer);
        CompletableFuture<PeerConnection> queued = lp.pool.acquireAsync(peer.id(), peer.address());
        int dialed = peer.proxy().accepted();

        held.markFailed(new IllegalStateException("bad reply")); // opens the breaker, frees the room

        assertThat(queued).isCompletedExceptionally();
        assertThatThrownBy(queued::join).cause().isInstanceOf(CircuitBreakerOpenException.class);
        assertThat(peer.proxy().accepted()).isEqualTo(dialed);
        assertThat(lp.pool.getStats().rejectedByCircuitBreaker()).isEqualTo(1);
        // guardian-db closes the failed connection; libp2p resets the stream and keeps it.
        assertThat(lp.pool.getStats().openConnections()).isEqualTo(transport == Transport.GUARDIAN ? 0 : 1);
    }
}
