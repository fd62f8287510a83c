package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.DialTimeoutException;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.ProtocolNotSupportedException;
import io.guardian.pool.RequestTimeoutException;
import io.guardian.pool.spring.retry.GuardianPoolRetryPolicy;
import io.guardian.pool.spring.retry.GuardianPoolRetryable;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.retry.RetryException;
import org.springframework.core.retry.RetryPolicy;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.resilience.annotation.EnableResilientMethods;

/**
 * Spring Framework 7's core retry from the pool's settings: the {@code guardianPoolRetryPolicy} and
 * {@code guardianPoolCoreRetryTemplate} beans, and {@link GuardianPoolRetryable} on an application's
 * method with {@code @EnableResilientMethods}.
 */
@Timeout(60)
class GuardianPoolCoreRetryTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(GuardianPoolAutoConfiguration.class))
            .withPropertyValues("guardian.pool.health.enabled=false", "guardian.pool.max-retry-attempts=2",
                    "guardian.pool.initial-retry-backoff=5ms", "guardian.pool.max-retry-backoff=20ms");

    @Test
    void thePolicyRetriesWhatIsSafeAsOftenAsThePoolSays() {
        runner.run(context -> {
            RetryTemplate retry = context.getBean("guardianPoolCoreRetryTemplate", RetryTemplate.class);
            AtomicInteger dials = new AtomicInteger();
            assertThatThrownBy(() -> retry.execute(() -> {
                dials.incrementAndGet();
                throw new DialTimeoutException("connect timed out");
            })).isInstanceOf(RetryException.class).cause().isInstanceOf(DialTimeoutException.class);
            assertThat(dials).as("one call and max-retry-attempts retries").hasValue(3);

            AtomicInteger requests = new AtomicInteger();
            assertThatThrownBy(() -> retry.execute(() -> {
                requests.incrementAndGet();
                throw new RequestTimeoutException("no reply within PT1S");
            })).isInstanceOf(RetryException.class);
            assertThat(requests).as("a request timeout is not retried by default").hasValue(1);

            AtomicInteger refused = new AtomicInteger();
            assertThatThrownBy(() -> retry.execute(() -> {
                refused.incrementAndGet();
                throw new ProtocolNotSupportedException(null, "/x/1", "refused", null);
            })).isInstanceOf(RetryException.class);
            assertThat(refused).hasValue(1);
        });
    }

    @Test
    void requestTimeoutsAreRetriedOnlyWhenTheApplicationSaysItsRequestsAreIdempotent() {
        RetryPolicy policy = GuardianPoolRetryPolicy.create(PoolConfig.defaults(), true);
        assertThat(policy.shouldRetry(new RequestTimeoutException("no reply"))).isTrue();
        assertThat(GuardianPoolRetryPolicy.create(PoolConfig.defaults(), false)
                .shouldRetry(new RequestTimeoutException("no reply"))).isFalse();
        assertThat(policy.shouldRetry(new IllegalStateException("a bug"))).isFalse();
        runner.withPropertyValues("guardian.pool.retry.retry-request-timeouts=true").run(context ->
                assertThat(context.getBean("guardianPoolRetryPolicy", RetryPolicy.class)
                        .shouldRetry(new RequestTimeoutException("no reply"))).isTrue());
    }

    @Test
    void anAnnotatedMethodIsRetriedWithThePoolsAttemptsAndOnlyForSafeFailures() {
        runner.withUserConfiguration(ResilientApp.class).run(context -> {
            Client client = context.getBean(Client.class);
            assertThatThrownBy(() -> client.call(new DialTimeoutException("connect timed out")))
                    .isInstanceOf(DialTimeoutException.class);
            assertThat(client.calls()).as("one call and max-retry-attempts (2) retries").isEqualTo(3);
            assertThatThrownBy(() -> client.call(new RequestTimeoutException("no reply")))
                    .isInstanceOf(RequestTimeoutException.class);
            assertThat(client.calls()).as("not retried").isEqualTo(4);
        });
    }

    @Configuration(proxyBeanMethods = false)
    @EnableResilientMethods
    static class ResilientApp {

        @Bean
        Client client() {
            return new Client();
        }
    }

    /** An application's bean calling through the pool (proxied: state is read through methods). */
    static class Client {
        private final AtomicInteger calls = new AtomicInteger();

        public int calls() {
            return calls.get();
        }

        @GuardianPoolRetryable
        public void call(RuntimeException failure) {
            calls.incrementAndGet();
            throw failure;
        }
    }
}
