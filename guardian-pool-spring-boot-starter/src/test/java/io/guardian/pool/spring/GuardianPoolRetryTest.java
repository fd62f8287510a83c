package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.ConnectionClosedException;
import io.guardian.pool.ConnectionTimeoutException;
import io.guardian.pool.DialTimeoutException;
import io.guardian.pool.PoolInterruptedException;
import io.guardian.pool.RequestTimeoutException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.HandshakeException;
import io.guardian.pool.PoolClosedException;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.spring.retry.GuardianPoolRetry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.retry.support.RetryTemplate;

/** The {@code guardianPoolRetryTemplate}: the pool's retry settings, the pool's retryable failures only. */
@Timeout(60)
class GuardianPoolRetryTest {

    private static final PoolConfig FAST = PoolConfig.builder().maxRetryAttempts(3)
            .initialRetryBackoff(Duration.ofMillis(1)).backoffMultiplier(2.0).build();

    @Test
    void aRetryableFailureIsTriedMaxRetryAttemptsPlusOneTimes() {
        AtomicInteger attempts = new AtomicInteger();
        RetryTemplate retry = GuardianPoolRetry.template(FAST);
        assertThatThrownBy(() -> retry.execute(ctx -> {
            attempts.incrementAndGet();
            throw new ConnectionTimeoutException("peer did not answer");
        })).isInstanceOf(ConnectionTimeoutException.class);
        assertThat(attempts).hasValue(4);
    }

    @Test
    void aRequestTimeoutOrAnInterruptIsNotRetriedByDefaultButADialTimeoutIs() {
        for (RuntimeException failure : new RuntimeException[] {
            new RequestTimeoutException("no reply within PT1S"),
            new PoolInterruptedException("interrupted", new InterruptedException()),
        }) {
            AtomicInteger attempts = new AtomicInteger();
            assertThatThrownBy(() -> GuardianPoolRetry.template(FAST).execute(ctx -> {
                attempts.incrementAndGet();
                throw failure;
            })).isSameAs(failure);
            assertThat(attempts).as("%s", failure).hasValue(1);
        }
        AtomicInteger dials = new AtomicInteger();
        assertThatThrownBy(() -> GuardianPoolRetry.template(FAST).execute(ctx -> {
            dials.incrementAndGet();
            throw new DialTimeoutException("connect timed out");
        })).isInstanceOf(DialTimeoutException.class);
        assertThat(dials).hasValue(4);
    }

    @Test
    void anApplicationWithIdempotentRequestsMayRetryRequestTimeouts() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> GuardianPoolRetry.template(FAST, true).execute(ctx -> {
            attempts.incrementAndGet();
            throw new RequestTimeoutException("no reply within PT1S");
        })).isInstanceOf(RequestTimeoutException.class);
        assertThat(attempts).hasValue(4);
        assertThat(GuardianPoolRetry.isRetryable(new PoolInterruptedException("stop", null), true)).isFalse();
    }

    @Test
    void aCallThatRecoversReturnsItsValue() {
        AtomicInteger attempts = new AtomicInteger();
        String reply = GuardianPoolRetry.template(FAST).execute(ctx -> {
            if (attempts.incrementAndGet() < 3) {
                throw new ConnectionClosedException("closed under the caller");
            }
            return "pong";
        });
        assertThat(reply).isEqualTo("pong");
        assertThat(attempts).hasValue(3);
    }

    @Test
    void aFailureThatIsNotRetryableIsThrownAtOnce() {
        for (RuntimeException failure : new RuntimeException[] {
            new PoolClosedException("closed"),
            new HandshakeException(HandshakeException.Reason.BAD_SIGNATURE, "forged"),
            new GuardianPoolException("protocol violation"),
            new IllegalStateException("not the pool's"),
        }) {
            AtomicInteger attempts = new AtomicInteger();
            assertThatThrownBy(() -> GuardianPoolRetry.template(FAST).execute(ctx -> {
                attempts.incrementAndGet();
                throw failure;
            })).isSameAs(failure);
            assertThat(attempts).as("%s", failure).hasValue(1);
        }
    }

    @Test
    void aRetryableFailureWrappedByTheApplicationIsStillRetried() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> GuardianPoolRetry.template(FAST).execute(ctx -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("order service failed",
                    new ConnectionTimeoutException("peer did not answer"));
        })).isInstanceOf(IllegalStateException.class);
        assertThat(attempts).hasValue(4);
    }

    @Test
    void backoffsGrowByTheMultiplier() {
        PoolConfig config = PoolConfig.builder().maxRetryAttempts(3).initialRetryBackoff(Duration.ofMillis(20))
                .backoffMultiplier(2.0).build();
        long start = System.nanoTime();
        assertThatThrownBy(() -> GuardianPoolRetry.template(config).execute(ctx -> {
            throw new ConnectionTimeoutException("peer did not answer");
        })).isInstanceOf(ConnectionTimeoutException.class);
        // 20 + 40 + 80 ms between the four attempts.
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(140);
    }

    @Test
    void aMultiplierOfOneWaitsTheSameEachTime() {
        PoolConfig config = PoolConfig.builder().maxRetryAttempts(2).initialRetryBackoff(Duration.ofMillis(30))
                .backoffMultiplier(1.0).build();
        AtomicInteger attempts = new AtomicInteger();
        long start = System.nanoTime();
        assertThatThrownBy(() -> GuardianPoolRetry.template(config).execute(ctx -> {
            attempts.incrementAndGet();
            throw new ConnectionTimeoutException("peer did not answer");
        })).isInstanceOf(ConnectionTimeoutException.class);
        assertThat(attempts).hasValue(3);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(60);
    }

    @Test
    void theBeanUsesTheRetryProperties() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(GuardianPoolAutoConfiguration.class))
                .withPropertyValues("guardian.pool.health.enabled=false", "guardian.pool.max-retry-attempts=1",
                        "guardian.pool.initial-retry-backoff=5ms")
                .run(context -> {
                    RetryTemplate retry = context.getBean("guardianPoolRetryTemplate", RetryTemplate.class);
                    AtomicInteger attempts = new AtomicInteger();
                    assertThatThrownBy(() -> retry.execute(ctx -> {
                        attempts.incrementAndGet();
                        throw new ConnectionTimeoutException("peer did not answer");
                    })).isInstanceOf(ConnectionTimeoutException.class);
                    assertThat(attempts).hasValue(2);
                });
    }
}
