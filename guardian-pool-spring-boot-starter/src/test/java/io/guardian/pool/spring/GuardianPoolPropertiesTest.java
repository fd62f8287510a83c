package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.PoolConfig;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;

/** {@code guardian.pool.*} reaching {@link PoolConfig}, and bad values stopping start-up. */
@Timeout(60)
class GuardianPoolPropertiesTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(GuardianPoolAutoConfiguration.class))
            .withPropertyValues("guardian.pool.health.enabled=false");

    @Test
    void withNoPropertiesTheConfigurationIsCoreDefaults() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(PoolConfig.class)).isEqualTo(PoolConfig.defaults());
        });
    }

    @Test
    void everyPropertyReachesThePoolConfiguration() {
        PeerId allowedA = PeerIdentity.generate().peerId();
        PeerId allowedB = PeerIdentity.generate().peerId();
        runner.withPropertyValues(
                "guardian.pool.max-connections-per-peer=3",
                "guardian.pool.max-total-connections=50",
                "guardian.pool.connection-timeout=2s",
                "guardian.pool.idle-timeout=45s",
                "guardian.pool.health-check-interval=7s",
                "guardian.pool.max-retry-attempts=5",
                "guardian.pool.initial-retry-backoff=150ms",
                "guardian.pool.backoff-multiplier=1.5",
                "guardian.pool.circuit-breaker-threshold=0.3",
                "guardian.pool.enable-intelligent-load-balancing=false",
                "guardian.pool.acquire-timeout=750ms",
                "guardian.pool.acquire-deadline=20s",
                "guardian.pool.max-lifetime=1h",
                "guardian.pool.leak-detection-threshold=20s",
                "guardian.pool.ping-timeout=1500ms",
                "guardian.pool.latency-budget=250ms",
                "guardian.pool.event-buffer-size=64",
                "guardian.pool.max-retry-backoff=12s",
                "guardian.pool.circuit-breaker.open-timeout=4s",
                "guardian.pool.circuit-breaker.failure-threshold=7",
                "guardian.pool.circuit-breaker.max-open-timeout=2m",
                "guardian.pool.handshake.protocol-version=1.0",
                "guardian.pool.handshake.max-clock-skew=60s",
                "guardian.pool.handshake.accept-plain=true",
                "guardian.pool.handshake.allowed-peers=" + allowedA + "," + allowedB,
                "guardian.pool.handshake.max-frame-size=64KB",
                "guardian.pool.handshake.timeout=3s",
                "guardian.pool.handshake.ping-answers-per-second=25").run(context -> {
                    assertThat(context).hasNotFailed();
                    PoolConfig c = context.getBean(PoolConfig.class);
                    assertThat(c.maxConnectionsPerPeer()).isEqualTo(3);
                    assertThat(c.maxTotalConnections()).isEqualTo(50);
                    assertThat(c.connectionTimeout()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(c.idleTimeout()).isEqualTo(Duration.ofSeconds(45));
                    assertThat(c.healthCheckInterval()).isEqualTo(Duration.ofSeconds(7));
                    assertThat(c.maxRetryAttempts()).isEqualTo(5);
                    assertThat(c.initialRetryBackoff()).isEqualTo(Duration.ofMillis(150));
                    assertThat(c.backoffMultiplier()).isEqualTo(1.5);
                    assertThat(c.circuitBreakerThreshold()).isEqualTo(0.3);
                    assertThat(c.enableIntelligentLoadBalancing()).isFalse();
                    assertThat(c.acquireTimeout()).isEqualTo(Duration.ofMillis(750));
                    assertThat(c.acquireDeadline()).isEqualTo(Duration.ofSeconds(20));
                    assertThat(c.maxLifetime()).isEqualTo(Duration.ofHours(1));
                    assertThat(c.leakDetectionThreshold()).isEqualTo(Duration.ofSeconds(20));
                    assertThat(c.pingTimeout()).isEqualTo(Duration.ofMillis(1500));
                    assertThat(c.latencyBudget()).isEqualTo(Duration.ofMillis(250));
                    assertThat(c.eventBufferSize()).isEqualTo(64);
                    assertThat(c.maxRetryBackoff()).isEqualTo(Duration.ofSeconds(12));
                    assertThat(c.circuitBreakerOpenTimeout()).isEqualTo(Duration.ofSeconds(4));
                    assertThat(c.circuitBreakerFailureThreshold()).isEqualTo(7);
                    assertThat(c.circuitBreakerMaxOpenTimeout()).isEqualTo(Duration.ofMinutes(2));
                    assertThat(c.protocol().version()).isEqualTo(ProtocolVersion.V1_0);
                    assertThat(c.protocol().maxClockSkew()).isEqualTo(Duration.ofSeconds(60));
                    assertThat(c.protocol().acceptPlainHandshake()).isTrue();
                    assertThat(c.protocol().allowedPeers()).isEqualTo(Set.of(allowedA, allowedB));
                    assertThat(c.protocol().maxFrameSize()).isEqualTo(64 * 1024);
                    assertThat(c.protocol().handshakeTimeout()).isEqualTo(Duration.ofSeconds(3));
                    assertThat(c.protocol().pingAnswersPerSecond()).isEqualTo(25);
                });
    }

    @Test
    void oneHandshakePropertyKeepsTheOtherHandshakeDefaults() {
        runner.withPropertyValues("guardian.pool.handshake.max-frame-size=2MB").run(context -> {
            PoolConfig c = context.getBean(PoolConfig.class);
            assertThat(c.protocol()).isEqualTo(PoolConfig.defaults().protocol().toBuilder()
                    .maxFrameSize(2 * 1024 * 1024).build());
        });
    }

    @Test
    void reusableStreamProtocolsBindAsACommaSeparatedList() {
        runner.withPropertyValues("guardian.pool.reusable-stream-protocols=/a/1.0.0,/b/1.0.0").run(context ->
                assertThat(context.getBean(PoolConfig.class).reusableStreamProtocols())
                        .containsExactly("/a/1.0.0", "/b/1.0.0"));
        runner.run(context -> assertThat(context.getBean(PoolConfig.class).reusableStreamProtocols()).isEmpty());
    }

    @Test
    void protocolVersionAcceptsTheWireNames() {
        runner.withPropertyValues("guardian.pool.handshake.protocol-version=guardian-db/1.0").run(context ->
                assertThat(context.getBean(PoolConfig.class).protocol().version()).isEqualTo(ProtocolVersion.V1_0));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "max-connections-per-peer | -1 | must be >= 1",
        "max-total-connections | 0 | must be >= 1",
        "connection-timeout | -5s | must be positive",
        "idle-timeout | 0s | must be positive",
        "max-retry-attempts | -2 | must be >= 0",
        "backoff-multiplier | 0.5 | must be a finite number >= 1.0",
        "circuit-breaker-threshold | 1.5 | must be > 0 and <= 1",
        "circuit-breaker-threshold | 0 | must be > 0 and <= 1",
        "acquire-timeout | -1s | must be >= 0",
        "acquire-deadline | 5s | must be >= acquire-timeout",
        "idle-timeout | 3650d | must be at most 365 days",
        "handshake.timeout | 36500d | must be at most",
        "event-buffer-size | 0 | must be >= 1",
        "circuit-breaker.failure-threshold | -3 | must be >= 0",
        "circuit-breaker.open-timeout | -1s | must be positive",
        "max-retry-backoff | 10ms | must be >= initial-retry-backoff",
        "handshake.max-clock-skew | 0s | must be positive",
        "handshake.timeout | -1s | must be positive",
        "handshake.max-frame-size | 0B | must be between 1 and",
        "handshake.max-frame-size | 32MB | must be between 1 and",
        "handshake.ping-answers-per-second | 0 | must be at least 1",
        "handshake.protocol-version | 2.0 | must be 1.1 or 1.0",
        "handshake.allowed-peers | not-a-peer-id | which is not a PeerId",
        "reusable-stream-protocols | no-slash | must be a protocol id starting with '/'",
        "shutdown.grace-period | -1s | must be >= 0",
        "endpoint.max-peers | -1 | must be >= 0",
    })
    void anInvalidValueStopsStartUpNamingTheProperty(String property, String value, String expected) {
        String name = "guardian.pool." + property;
        runner.withPropertyValues(name + "=" + value).run(context -> {
            assertThat(context).hasFailed();
            GuardianPoolPropertyException e = findCause(context.getStartupFailure());
            assertThat(e.property()).isEqualTo(name);
            assertThat(e.getMessage()).startsWith(name + " ").contains(expected);
        });
    }

    @Test
    void aMissingKeyFileStopsStartUpNamingTheProperty(@TempDir Path dir) {
        Path missing = dir.resolve("node.key");
        runner.withPropertyValues("guardian.pool.identity.key-file=" + missing).run(context -> {
            assertThat(context).hasFailed();
            GuardianPoolPropertyException e = findCause(context.getStartupFailure());
            assertThat(e.property()).isEqualTo("guardian.pool.identity.key-file");
            assertThat(e.getMessage()).contains("guardian.pool.identity.key-file", missing.toString(),
                    "does not exist");
        });
    }

    @Test
    void aKeyFileThatIsNoKeyStopsStartUpNamingThePropertyWithoutQuotingIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("node.key");
        Files.writeString(file, "c2VjcmV0LXNlZWQtdGhhdC1tdXN0LW5vdC1sZWFr");
        runner.withPropertyValues("guardian.pool.identity.key-file=" + file).run(context -> {
            GuardianPoolPropertyException e = findCause(context.getStartupFailure());
            assertThat(e.property()).isEqualTo("guardian.pool.identity.key-file");
            assertThat(e.getMessage()).contains(file.toString()).doesNotContain("c2VjcmV0");
        });
    }

    @Test
    void customizersRunInOrderAfterTheProperties() {
        runner.withPropertyValues("guardian.pool.max-connections-per-peer=2", "guardian.pool.max-total-connections=40")
                .withUserConfiguration(OrderedCustomizers.class).run(context -> {
                    PoolConfig c = context.getBean(PoolConfig.class);
                    assertThat(context.getBean(OrderedCustomizers.class).calls).containsExactly("first", "second");
                    assertThat(c.maxConnectionsPerPeer()).isEqualTo(6);
                    assertThat(c.maxTotalConnections()).isEqualTo(40);
                });
    }

    @Test
    void aCustomizerSettingABadValueIsNamedAsTheSource() {
        runner.withBean(GuardianPoolCustomizer.class, () -> b -> b.maxConnectionsPerPeer(0)).run(context -> {
            GuardianPoolPropertyException e = findCause(context.getStartupFailure());
            assertThat(e.getMessage()).startsWith("guardian.pool.max-connections-per-peer must be >= 1")
                    .contains("GuardianPoolCustomizer");
        });
    }

    @Test
    void theFailureAnalysisSaysWhichPropertyToChange() {
        AtomicReference<Environment> environment = new AtomicReference<>();
        runner.withInitializer(context -> environment.set(context.getEnvironment()))
                .withPropertyValues("guardian.pool.max-connections-per-peer=-1").run(context -> {
            GuardianPoolPropertyException e = findCause(context.getStartupFailure());
            FailureAnalysis analysis = new GuardianPoolPropertyFailureAnalyzer(
                            environment.get())
                    .analyze(context.getStartupFailure());
            assertThat(analysis.getDescription()).contains("Property: guardian.pool.max-connections-per-peer",
                    "Value: \"-1\"", "Reason: " + e.getMessage());
            assertThat(analysis.getAction()).startsWith("Update guardian.pool.max-connections-per-peer");
        });
    }

    private static GuardianPoolPropertyException findCause(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof GuardianPoolPropertyException e) {
                return e;
            }
        }
        throw new AssertionError("no GuardianPoolPropertyException in " + failure, failure);
    }

    @Configuration(proxyBeanMethods = false)
    static class OrderedCustomizers {

        final List<String> calls = new CopyOnWriteArrayList<>();

        @Bean
        @Order(2)
        GuardianPoolCustomizer second() {
            return b -> {
                calls.add("second");
                b.maxConnectionsPerPeer(6);
            };
        }

        @Bean
        @Order(1)
        GuardianPoolCustomizer first() {
            return b -> {
                calls.add("first");
                b.maxConnectionsPerPeer(3);
            };
        }
    }
}
