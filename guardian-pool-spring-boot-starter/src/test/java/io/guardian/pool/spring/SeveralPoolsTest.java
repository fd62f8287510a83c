package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.spring.actuate.ConnectionPoolEndpoint;
import io.guardian.pool.spring.actuate.ConnectionPoolHealthIndicator;
import io.guardian.pool.spring.actuate.PoolDescriptors.PeerActionResult;
import io.guardian.pool.spring.metrics.GuardianPoolMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.core.retry.RetryPolicy;

/**
 * One pool and several: every meter tagged with its pool's bean name, the health contributor, the
 * endpoint and the graceful shutdown covering every pool bean, the single-pool beans (event
 * bridge, health monitor) stepping aside instead of failing the start, or following a primary.
 */
@Timeout(60)
class SeveralPoolsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final LoopbackPeers peers = new LoopbackPeers();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(GuardianPoolAutoConfiguration.class))
            .withPropertyValues("management.endpoints.web.exposure.include=connectionpool",
                    "guardian.pool.shutdown.grace-period=0s")
            .withBean(SimpleMeterRegistry.class);

    @AfterEach
    void stopPeers() {
        peers.close();
    }

    @Test
    void theStartersOwnPoolIsTaggedWithItsBeanName() {
        runner.run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(PoolEventBridge.class).hasSingleBean(PoolHealthMonitor.class)
                    .hasSingleBean(PoolGracefulShutdown.class).hasSingleBean(RetryPolicy.class);
            SimpleMeterRegistry registry = context.getBean(SimpleMeterRegistry.class);
            context.getBean(GuardianPoolMetrics.class).bindTo(registry);
            assertThat(poolTags(registry)).containsExactly("guardianPool");
            assertThat(context.getBean("connectionPoolHealthIndicator")).isInstanceOf(ConnectionPoolHealthIndicator.class);
            ConnectionPoolEndpoint endpoint = context.getBean(ConnectionPoolEndpoint.class);
            assertThat(endpoint.pool().name()).isEqualTo("guardianPool");
            assertThat(endpoint.pool().pools()).containsExactly("guardianPool");
        });
    }

    @Test
    void twoPoolsOfTheApplicationStartAndAreEachCovered() {
        LoopbackPeers.Peer peer = peers.start();
        OptimizedConnectionPool[] pools = new OptimizedConnectionPool[2];
        runner.withUserConfiguration(TwoPools.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBeansOfType(OptimizedConnectionPool.class)).containsOnlyKeys("replicas", "archive");
            // Their events and health reports carry no pool name: not republished, rather than mixed up.
            assertThat(context).doesNotHaveBean(PoolEventBridge.class).doesNotHaveBean(PoolHealthMonitor.class)
                    .hasSingleBean(PoolGracefulShutdown.class).hasSingleBean(RetryPolicy.class);
            OptimizedConnectionPool replicas = context.getBean("replicas", OptimizedConnectionPool.class);
            OptimizedConnectionPool archive = context.getBean("archive", OptimizedConnectionPool.class);
            pools[0] = replicas;
            pools[1] = archive;
            try (PeerConnection lease = archive.acquire(peer.id(), peer.address())) {
                assertThat(lease.request(new byte[] {1}, WAIT)).containsExactly(1);
            }

            // Metrics: one series set per pool, apart by the pool tag.
            SimpleMeterRegistry registry = context.getBean(SimpleMeterRegistry.class);
            context.getBean(GuardianPoolMetrics.class).bindTo(registry);
            assertThat(poolTags(registry)).containsExactlyInAnyOrder("replicas", "archive");
            assertThat(registry.find("guardian.pool.connections").tag("state", "idle").gauges()).hasSize(2);
            assertThat(registry.get("guardian.pool.connections.established").tag("pool", "archive").functionCounter()
                    .count()).isEqualTo(1);
            assertThat(registry.get("guardian.pool.connections.established").tag("pool", "replicas").functionCounter()
                    .count()).isZero();

            // Health: one entry per pool.
            CompositeHealthContributor health = context.getBean("connectionPoolHealthIndicator",
                    CompositeHealthContributor.class);
            assertThat(health.stream().map(c -> c.name()).toList()).containsExactly("archive", "replicas");
            assertThat(((ConnectionPoolHealthIndicator) health.getContributor("archive")).health().getStatus())
                    .isEqualTo(Status.UP);

            // Endpoint: every pool by name; a peer found and acted on where it is tracked.
            ConnectionPoolEndpoint endpoint = context.getBean(ConnectionPoolEndpoint.class);
            assertThat(endpoint.pool(null).pools()).containsExactly("replicas", "archive");
            assertThat(endpoint.pool("archive").name()).isEqualTo("archive");
            assertThat(endpoint.pool("archive").peerCount()).isEqualTo(1);
            assertThat(endpoint.pool("replicas").peerCount()).isZero();
            assertThatThrownBy(() -> endpoint.pool("nope")).isInstanceOf(InvalidEndpointRequestException.class)
                    .hasMessageContaining("replicas");
            assertThat(endpoint.peer(peer.id().toBase58())).isNotNull();
            assertThat(endpoint.peer(peer.id().toBase58(), "replicas")).isNull();
            PeerActionResult evicted = endpoint.peerAction(peer.id().toBase58(), ConnectionPoolEndpoint.EVICT);
            assertThat(evicted.pools()).containsExactly("archive");
            assertThat(endpoint.peerAction(peer.id().toBase58(), ConnectionPoolEndpoint.RESET_BREAKER, "replicas"))
                    .isNull();
        });
        assertThat(pools[0].isClosed()).as("the graceful shutdown closed both").isTrue();
        assertThat(pools[1].isClosed()).isTrue();
    }

    @Test
    void withAPrimaryPoolTheSinglePoolBeansFollowIt() {
        runner.withUserConfiguration(TwoPools.class, PrimaryPool.class).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(PoolEventBridge.class);
            assertThat(context.getBean(PoolHealthMonitor.class).pool()).isSameAs(context.getBean("main"));
            assertThat(context.getBean(ConnectionPoolEndpoint.class).pool(null).pools())
                    .containsExactlyInAnyOrder("replicas", "archive", "main");
        });
    }

    @Test
    void severalPoolConfigsDoNotMakeTheRetryBeansAmbiguous() {
        runner.withUserConfiguration(TwoConfigs.class).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(RetryPolicy.class).hasBean("guardianPoolRetryTemplate");
            assertThat(context.getBeansOfType(OptimizedConnectionPool.class)).containsOnlyKeys("replicas", "archive");
        });
    }

    private static Set<String> poolTags(SimpleMeterRegistry registry) {
        List<Meter> guardian = registry.getMeters().stream()
                .filter(m -> m.getId().getName().startsWith("guardian.")).toList();
        assertThat(guardian).isNotEmpty().allSatisfy(m -> assertThat(m.getId().getTag("pool"))
                .as(m.getId().getName()).isNotNull());
        return guardian.stream().map(m -> m.getId().getTag("pool")).collect(Collectors.toSet());
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoPools {

        @Bean
        OptimizedConnectionPool replicas() {
            return new OptimizedConnectionPool(PoolConfig.builder().maxConnectionsPerPeer(2).build());
        }

        @Bean
        OptimizedConnectionPool archive() {
            return new OptimizedConnectionPool(PoolConfig.builder().maxConnectionsPerPeer(1).build());
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class PrimaryPool {

        @Bean
        @Primary
        OptimizedConnectionPool main() {
            return new OptimizedConnectionPool(PoolConfig.defaults());
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoConfigs {

        @Bean
        PoolConfig replicasConfig() {
            return PoolConfig.builder().maxRetryAttempts(1).build();
        }

        @Bean
        PoolConfig archiveConfig() {
            return PoolConfig.builder().maxRetryAttempts(5).build();
        }

        @Bean
        OptimizedConnectionPool replicas(Map<String, PoolConfig> configs) {
            return new OptimizedConnectionPool(configs.get("replicasConfig"));
        }

        @Bean
        OptimizedConnectionPool archive(Map<String, PoolConfig> configs) {
            return new OptimizedConnectionPool(configs.get("archiveConfig"));
        }
    }
}
