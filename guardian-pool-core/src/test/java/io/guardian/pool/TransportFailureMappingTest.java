package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The transport reports its own failure type ({@link TransportException} with a {@link Kind}); the
 * engine maps each kind to a public exception and decides retries and breaker charges from that.
 */
@Timeout(10)
class TransportFailureMappingTest {

    private FakePool p;

    @AfterEach
    void close() {
        if (p != null) {
            p.close();
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "REFUSED, ConnectionFailedException, true",
        "TIMED_OUT, DialTimeoutException, true",
        "CLOSED_BY_PEER, HandshakeException, true",
        "RESET, ConnectionFailedException, true",
        "PROTOCOL_VIOLATION, HandshakeException, false",
        "IDENTITY_MISMATCH, HandshakeException, false",
        "BAD_SIGNATURE, HandshakeException, false",
        "UNSUPPORTED_KEY, HandshakeException, false",
        "PROTOCOL_REFUSED, HandshakeException, false",
    })
    void aDialFailureOfEachKindBecomesItsPublicException(Kind kind, String type, boolean retried) {
        p = new FakePool(PoolConfig.builder().maxRetryAttempts(1).circuitBreakerFailureThreshold(10).build());
        p.connector.failWith(FakePool.peer(50), () -> new TransportException(kind, "simulated " + kind));

        java.util.concurrent.CompletableFuture<PeerConnection> f =
                p.pool.acquireAsync(FakePool.peer(50), FakePool.addr(50));
        // A retryable kind is dialed again once (max-retry-attempts 1); the others fail at once.
        p.scheduler.advance(java.time.Duration.ofSeconds(5));

        assertThat(f).isCompletedExceptionally();
        assertThatThrownBy(f::join).cause().satisfies(e -> {
            assertThat(e.getClass().getSimpleName()).isEqualTo(type);
            assertThat(e).hasCauseInstanceOf(TransportException.class);
            assertThat(((GuardianPoolException) e).retryable()).isEqualTo(retried);
        });
        assertThat(p.connector.attempts()).hasSize(retried ? 2 : 1);
        assertThat(p.pool.peer(FakePool.peer(50)).orElseThrow().circuitBreaker().failureCount())
                .isEqualTo(retried ? 2 : 1);
    }

    @Test
    void aHandshakeKindKeepsItsReason() {
        p = new FakePool(PoolConfig.builder().maxRetryAttempts(0).build());
        p.connector.failWith(FakePool.peer(51), () -> new TransportException(Kind.IDENTITY_MISMATCH, "not them"));

        assertThatThrownBy(() -> p.acquire(51)).isInstanceOfSatisfying(HandshakeException.class,
                e -> assertThat(e.reason()).isEqualTo(HandshakeException.Reason.PEER_ID_MISMATCH));
    }
}
