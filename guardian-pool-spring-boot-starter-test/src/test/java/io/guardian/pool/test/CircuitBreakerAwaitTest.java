package io.guardian.pool.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link CircuitBreakerAwait}: returns when the state is reached, fails with the state at the deadline. */
@Timeout(60)
class CircuitBreakerAwaitTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.builder()
            .circuitBreakerFailureThreshold(3).circuitBreakerOpenTimeout(Duration.ofMillis(200)).build());
    private final PeerId peer = PeerIdentity.generate().peerId();

    @AfterEach
    void close() {
        pool.close();
    }

    @Test
    void anUnknownPeersBreakerIsClosed() {
        assertThat(CircuitBreakerAwait.state(pool, peer)).isEqualTo(CircuitState.CLOSED);
        CircuitBreakerAwait.awaitClosed(pool, peer, WAIT);
    }

    @Test
    void forceOpenOpensWithTheConfiguredNumberOfFailures() {
        CircuitBreakerAwait.forceOpen(pool, peer);
        assertThat(CircuitBreakerAwait.state(pool, peer)).isEqualTo(CircuitState.OPEN);
        assertThat(pool.peerSummary(peer).orElseThrow().circuitBreaker().failureCount()).isEqualTo(3);
        assertThat(pool.checkCircuitBreaker(peer)).isFalse();
    }

    @Test
    void aWaitEndsWhenAnotherThreadOpensTheBreaker() throws Exception {
        CountDownLatch waiting = new CountDownLatch(1);
        CompletableFuture<Void> opener = CompletableFuture.runAsync(() -> {
            try {
                assertThat(waiting.await(10, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            CircuitBreakerAwait.forceOpen(pool, peer);
        });
        waiting.countDown();
        CircuitBreakerAwait.awaitOpen(pool, peer, WAIT);
        opener.get(10, TimeUnit.SECONDS);
        assertThat(CircuitBreakerAwait.state(pool, peer)).isEqualTo(CircuitState.OPEN);
    }

    @Test
    void anOpenBreakerIsSeenHalfOpenOnceThePoolLooksAfterItsTimeoutAndClosedAfterAReset() {
        CircuitBreakerAwait.forceOpen(pool, peer);
        // An open breaker turns half-open when the pool next looks at it after the open timeout
        // (a call, or a health pass): here a call, repeated until the timeout has passed.
        await().atMost(WAIT).until(() -> pool.checkCircuitBreaker(peer));
        CircuitBreakerAwait.awaitState(pool, peer, CircuitState.HALF_OPEN, WAIT);
        assertThat(pool.resetCircuitBreaker(peer)).isTrue();
        CircuitBreakerAwait.awaitClosed(pool, peer, WAIT);
    }

    @Test
    void aDeadlinePassingFailsWithTheStateItWasLeftIn() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> CircuitBreakerAwait.awaitOpen(pool, peer, Duration.ofMillis(150)))
                .isInstanceOf(AssertionError.class).hasMessageContaining("did not become OPEN within PT0.15S")
                .hasMessageContaining("it is CLOSED");
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(150));
        assertThatThrownBy(() -> CircuitBreakerAwait.awaitOpen(pool, peer, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
