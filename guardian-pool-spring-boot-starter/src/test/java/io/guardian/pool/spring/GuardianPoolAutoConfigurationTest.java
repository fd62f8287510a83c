package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.peer.PeerIdentity;
import io.guardian.pool.spring.actuate.ConnectionPoolEndpoint;
import io.guardian.pool.spring.actuate.ConnectionPoolEndpointWebExtension;
import io.guardian.pool.spring.actuate.ConnectionPoolHealthIndicator;
import io.guardian.pool.spring.metrics.GuardianPoolMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.retry.support.RetryTemplate;

/** Which beans exist, when, and that each backs off for the application's own. */
@Timeout(60)
@ExtendWith(OutputCaptureExtension.class)
class GuardianPoolAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(GuardianPoolAutoConfiguration.class))
            .withPropertyValues("management.endpoints.web.exposure.include=connectionpool");

    @Test
    void everyBeanIsThereByDefault() {
        runner.withBean(SimpleMeterRegistry.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(PeerIdentity.class).hasSingleBean(PoolConfig.class)
                    .hasSingleBean(OptimizedConnectionPool.class).hasSingleBean(PoolEventBridge.class)
                    .hasSingleBean(PoolHealthMonitor.class).hasSingleBean(PoolGracefulShutdown.class)
                    .hasSingleBean(ConnectionPoolEndpoint.class)
                    .hasSingleBean(ConnectionPoolEndpointWebExtension.class)
                    .hasSingleBean(GuardianPoolMetrics.class)
                    .hasBean("connectionPoolHealthIndicator").hasBean("guardianPoolRetryTemplate");
            OptimizedConnectionPool pool = context.getBean(OptimizedConnectionPool.class);
            assertThat(pool.localPeerId()).isEqualTo(context.getBean(PeerIdentity.class).peerId());
            assertThat(pool.config()).isSameAs(context.getBean(PoolConfig.class));
        });
    }

    static Object[][] userBeans() {
        PeerIdentity identity = PeerIdentity.generate();
        PoolConfig config = PoolConfig.builder().maxConnectionsPerPeer(2).build();
        return new Object[][] {
            {PeerIdentity.class, (Supplier<Object>) () -> identity},
            {PoolConfig.class, (Supplier<Object>) () -> config},
            {OptimizedConnectionPool.class, (Supplier<Object>) () -> new OptimizedConnectionPool(config, identity)},
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("userBeans")
    @SuppressWarnings("unchecked")
    void theApplicationsOwnCoreBeanWins(Class<Object> type, Supplier<Object> bean) {
        Object mine = bean.get();
        runner.withBean("mine", type, () -> mine).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(type);
            assertThat(context.getBean(type)).isSameAs(mine);
        });
        if (mine instanceof OptimizedConnectionPool pool) {
            pool.close();
        }
    }

    @Test
    void theApplicationsOwnStarterBeansWin() {
        runner.withUserConfiguration(OwnStarterBeans.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBeansOfType(OptimizedConnectionPool.class)).containsOnlyKeys("myPool");
            assertThat(context.getBeansOfType(PoolEventBridge.class)).containsOnlyKeys("myBridge");
            assertThat(context.getBeansOfType(PoolGracefulShutdown.class)).containsOnlyKeys("myShutdown");
            assertThat(context.getBeansOfType(PoolHealthMonitor.class)).containsOnlyKeys("myMonitor");
            assertThat(context.getBeansOfType(GuardianPoolMetrics.class)).containsOnlyKeys("myMetrics");
            assertThat(context.getBeansOfType(ConnectionPoolEndpoint.class)).containsOnlyKeys("myEndpoint");
            assertThat(context.getBean("connectionPoolHealthIndicator"))
                    .isNotInstanceOf(ConnectionPoolHealthIndicator.class);
            assertThat(context.getBeansOfType(RetryTemplate.class)).containsOnlyKeys("guardianPoolRetryTemplate");
            assertThat(context.getBean("guardianPoolRetryTemplate")).isSameAs(OwnStarterBeans.RETRY);
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnStarterBeans {

        static final RetryTemplate RETRY = new RetryTemplate();

        @Bean
        SimpleMeterRegistry registry() {
            return new SimpleMeterRegistry();
        }

        @Bean
        OptimizedConnectionPool myPool() {
            return new OptimizedConnectionPool(PoolConfig.defaults());
        }

        @Bean
        PoolEventBridge myBridge(OptimizedConnectionPool pool, ApplicationEventPublisher publisher) {
            return new PoolEventBridge(pool, publisher);
        }

        @Bean
        PoolGracefulShutdown myShutdown(OptimizedConnectionPool pool, ConfigurableApplicationContext context) {
            return new PoolGracefulShutdown(pool, Duration.ZERO, context);
        }

        @Bean
        PoolHealthMonitor myMonitor(OptimizedConnectionPool pool, ApplicationEventPublisher publisher) {
            return new PoolHealthMonitor(pool, publisher);
        }

        @Bean
        GuardianPoolMetrics myMetrics(OptimizedConnectionPool pool) {
            return new GuardianPoolMetrics(pool, false);
        }

        @Bean
        ConnectionPoolEndpoint myEndpoint(OptimizedConnectionPool pool) {
            return new ConnectionPoolEndpoint(pool, 1);
        }

        @Bean
        HealthIndicator connectionPoolHealthIndicator() {
            return () -> Health.up().build();
        }

        @Bean
        RetryTemplate guardianPoolRetryTemplate() {
            return RETRY;
        }
    }

    @Test
    void withoutMicrometerThereAreNoMeters() {
        runner.withClassLoader(new FilteredClassLoader("io.micrometer.")).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(GuardianPoolMetrics.class);
            assertThat(context).hasSingleBean(OptimizedConnectionPool.class);
        });
    }

    @Test
    void withMicrometerButNoRegistryThereAreNoMeters() {
        runner.run(context -> assertThat(context).doesNotHaveBean(GuardianPoolMetrics.class));
    }

    @Test
    void withARegistryTheMetersAreBound() {
        runner.withBean(SimpleMeterRegistry.class).run(context -> {
            assertThat(context).hasSingleBean(GuardianPoolMetrics.class);
            // Spring Boot binds MeterBinder beans; without its metrics auto-configuration, do it here.
            context.getBean(GuardianPoolMetrics.class).bindTo(context.getBean(MeterRegistry.class));
            assertThat(context.getBean(MeterRegistry.class).find("guardian.pool.connections").gauges()).hasSize(3);
        });
    }

    @Test
    void closingTheContextClosesThePoolAndRemovesItsMeters() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        OptimizedConnectionPool[] pool = new OptimizedConnectionPool[1];
        runner.withBean(MeterRegistry.class, () -> registry).run(context -> {
            context.getBean(GuardianPoolMetrics.class).bindTo(registry);
            pool[0] = context.getBean(OptimizedConnectionPool.class);
            assertThat(registry.find("guardian.pool.acquire.failures").counters()).isNotEmpty();
        });
        assertThat(pool[0].isClosed()).isTrue();
        assertThat(registry.getMeters()).extracting(m -> m.getId().getName())
                .noneMatch(name -> name.startsWith("guardian."));
    }

    @Test
    void withoutActuatorThereIsNoEndpointAndNoHealthIndicator() {
        runner.withClassLoader(new FilteredClassLoader(Endpoint.class, HealthIndicator.class)).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(ConnectionPoolEndpoint.class)
                    .doesNotHaveBean(ConnectionPoolEndpointWebExtension.class)
                    .doesNotHaveBean("connectionPoolHealthIndicator");
            assertThat(context).hasSingleBean(OptimizedConnectionPool.class);
        });
    }

    @Test
    void anEndpointThatIsNotExposedIsNotCreated() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(GuardianPoolAutoConfiguration.class))
                .run(context -> assertThat(context).doesNotHaveBean(ConnectionPoolEndpoint.class));
    }

    @Test
    void theHealthIndicatorCanBeSwitchedOff() {
        runner.withPropertyValues("management.health.connectionpool.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean("connectionPoolHealthIndicator"));
    }

    @Test
    void withoutSpringRetryThereIsNoRetryTemplate() {
        runner.withClassLoader(new FilteredClassLoader(RetryTemplate.class)).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean("guardianPoolRetryTemplate");
        });
    }

    @Test
    void theHealthMonitorIsSwitchedOffByProperty() {
        runner.withPropertyValues("guardian.pool.health.enabled=false").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(PoolHealthMonitor.class);
        });
    }

    @Test
    void theIdentityComesFromTheKeyFileAndOnlyItsPeerIdIsLogged(@TempDir Path dir, CapturedOutput output) {
        PeerIdentity saved = PeerIdentity.generate();
        Path keyFile = dir.resolve("node.key");
        saved.save(keyFile);
        runner.withPropertyValues("guardian.pool.identity.key-file=" + keyFile).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(PeerIdentity.class).peerId()).isEqualTo(saved.peerId());
            assertThat(context.getBean(OptimizedConnectionPool.class).localPeerId()).isEqualTo(saved.peerId());
        });
        String log = output.getAll();
        assertThat(log.split(saved.peerId().toBase58(), -1)).as("the PeerId is logged once").hasSize(2);
        assertThat(log).contains("Guardian Pool identity: PeerId " + saved.peerId());
        assertThat(SecretForms.of(saved)).allSatisfy(secret -> assertThat(log).doesNotContain(secret));
    }

    @Test
    void withoutAKeyFileAFreshIdentityIsGeneratedAndLogged(CapturedOutput output) {
        runner.run(context -> {
            PeerIdentity identity = context.getBean(PeerIdentity.class);
            assertThat(output.getAll()).contains("Guardian Pool identity: PeerId " + identity.peerId()
                    + " (generated for this run");
        });
    }
}
