package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Dial retries against real refusing, silent and mismatched peers on loopback. The backoff waits
 * run on the pool's stepped clock, so spacing is exact and nothing sleeps.
 */
@Timeout(30)
class RetryTest {

    private final TestPeers peers = new TestPeers();
    private LoopbackPool lp;
    private RecordingConnector recorder;

    @AfterEach
    void tearDown() {
        if (lp != null) {
            lp.close();
        }
        peers.close();
    }

    private LoopbackPool pool(PoolConfig.Builder config) {
        lp = new LoopbackPool(config.build(), () -> 0.5, (c, clock) -> {
            recorder = new RecordingConnector(c, clock);
            return recorder;
        });
        return lp;
    }

    private void awaitSettled(int n) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> recorder.settled.get() >= n);
    }

    @Test
    void aRefusedDialIsRetriedMaxRetryAttemptsTimesWithGrowingJitteredBackoff() {
        LoopbackPool p = pool(PoolConfig.builder().maxRetryAttempts(3).initialRetryBackoff(Duration.ofSeconds(1))
                .backoffMultiplier(2.0).circuitBreakerFailureThreshold(10));
        TestPeers.Peer gone = TestPeers.refusing();

        CompletableFuture<PeerConnection> f = p.pool.acquireAsync(gone.id(), gone.address());
        for (int attempt = 1; attempt <= 3; attempt++) {
            awaitSettled(attempt);
            assertThat(f).isNotDone();
            List<Long> delays = p.scheduler.scheduledDelays();
            p.scheduler.advance(Duration.ofNanos(delays.get(delays.size() - 1)));
        }
        awaitSettled(4);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(f::isDone);

        assertThatThrownBy(f::join).cause().isInstanceOf(ConnectionFailedException.class)
                .hasMessageContaining(gone.id().toString());
        List<Long> times = recorder.attemptTimes;
        assertThat(times).hasSize(4);
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < times.size(); i++) {
            gaps.add(times.get(i) - times.get(i - 1));
        }
        // initial × multiplier^n, with equal jitter: half fixed plus half × random (0.5 here).
        assertThat(gaps).containsExactly(750_000_000L, 1_500_000_000L, 3_000_000_000L);
        PoolStats stats = p.pool.getStats();
        assertThat(stats.connectionsFailed()).isEqualTo(4);
        assertThat(stats.pendingConnections()).isZero();
        assertThat(stats.openConnections()).isZero();
        assertThat(p.pool.peer(gone.id()).orElseThrow().circuitBreaker().failureCount()).isEqualTo(4);
    }

    @Test
    void retriesStopAsSoonAsTheBreakerOpens() {
        LoopbackPool p = pool(PoolConfig.builder().maxRetryAttempts(5).circuitBreakerFailureThreshold(2));
        TestPeers.Peer gone = TestPeers.refusing();

        CompletableFuture<PeerConnection> f = p.pool.acquireAsync(gone.id(), gone.address());
        awaitSettled(1);
        p.scheduler.advance(Duration.ofNanos(p.scheduler.scheduledDelays().get(0)));
        awaitSettled(2);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(f::isDone);

        assertThatThrownBy(f::join).cause().isInstanceOf(ConnectionFailedException.class);
        assertThat(recorder.attemptTimes).hasSize(2);
        assertThat(p.scheduler.pending()).isZero();
        assertThat(p.awaitEvents(ConnectionEvent.CircuitBreakerOpen.class, 1)).hasSize(1);
    }

    @Test
    void aHandshakeFailureThatCannotHealIsNotRetried() {
        LoopbackPool p = pool(PoolConfig.builder().maxRetryAttempts(3));
        TestPeers.Peer real = peers.start();
        // A hashed (Qm...) PeerId carries no key, so guardian-db/1.1 can never authenticate it.
        byte[] sha256 = new byte[34];
        sha256[0] = 0x12;
        sha256[1] = 0x20;
        PeerId hashed = PeerId.fromBytes(sha256);
        Multiaddr address = real.address().withoutPeerId();

        assertThatThrownBy(() -> p.pool.acquire(hashed, address)).isInstanceOf(HandshakeException.class)
                .satisfies(e -> assertThat(((HandshakeException) e).retryable()).isFalse());
        assertThat(recorder.attemptTimes).hasSize(1);
        assertThat(p.scheduler.pending()).isZero();
        assertThat(p.pool.getStats().connectionsFailed()).isEqualTo(1);
    }

    @Test
    void aDialThatStallsPastConnectionTimeoutCountsAsATimeout() throws IOException {
        LoopbackPool p = pool(PoolConfig.builder().maxRetryAttempts(0).connectionTimeout(Duration.ofMillis(300)));
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            TestPeers.Peer stalled = TestPeers.refusing();
            var address = Multiaddr.parse("/ip4/127.0.0.1/tcp/" + silent.getLocalPort());

            assertThatThrownBy(() -> p.pool.acquire(stalled.id(), address))
                    .isInstanceOfAny(ConnectionTimeoutException.class, HandshakeException.class)
                    .hasMessageContaining(stalled.id().toString());
            PoolStats stats = p.pool.getStats();
            assertThat(stats.connectionsTimeout()).isEqualTo(1);
            assertThat(stats.connectionsFailed()).isZero();
        }
    }
}
