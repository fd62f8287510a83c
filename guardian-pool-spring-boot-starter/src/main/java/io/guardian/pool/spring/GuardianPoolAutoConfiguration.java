package io.guardian.pool.spring;

import io.guardian.pool.HealthReport;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.PoolInstrumentation;
import io.guardian.pool.peer.PeerIdentity;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.spring.actuate.ConnectionPoolEndpoint;
import io.guardian.pool.spring.actuate.ConnectionPoolEndpointWebExtension;
import io.guardian.pool.spring.actuate.ConnectionPoolHealthIndicator;
import io.guardian.pool.spring.metrics.GuardianPoolMetrics;
import io.guardian.pool.spring.metrics.PerPeerMeters;
import io.guardian.pool.spring.listener.GuardianPoolHandler;
import io.guardian.pool.spring.listener.GuardianPoolListenerAttachment;
import io.guardian.pool.spring.listener.GuardianPoolListenerCustomizer;
import io.guardian.pool.spring.listener.ListenerFactory;
import io.guardian.pool.spring.observation.GuardianPoolDialObservationConvention;
import io.guardian.pool.spring.observation.GuardianPoolObservations;
import io.guardian.pool.spring.observation.GuardianPoolRequestObservationConvention;
import io.guardian.pool.spring.observation.ObservationMeterDescriptions;
import io.guardian.pool.spring.retry.GuardianPoolRetry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.observation.ObservationRegistry;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.retry.support.RetryTemplate;

/**
 * Auto-configuration of Guardian Pool: zero code to start, every bean replaceable.
 *
 * <p>Always: the {@link PeerIdentity}, the {@link PoolConfig} (properties, then
 * {@link GuardianPoolCustomizer}s), the {@link OptimizedConnectionPool} (closed with the context
 * after a bounded grace for leases), the publishing of pool events as application events, and
 * the scheduled health monitor ({@code guardian.pool.health.enabled}). When their libraries are
 * present: the {@code connectionpool} Actuator endpoint and the {@code connectionPool} health
 * indicator, Micrometer meters (when a {@link MeterRegistry} bean exists), observations of dials
 * and requests (when an {@link ObservationRegistry} bean exists), and the
 * {@code guardianPoolRetryTemplate} for spring-retry. When {@code guardian.pool.listener.port}
 * is set: a {@link PeerListener} answering as the pool's identity with the
 * {@link GuardianPoolHandler} beans, shared with the pool on libp2p. Each bean backs off when the
 * application defines its own.
 *
 * <p>Several pools: when the application declares its own pool beans, the meters (tag
 * {@code pool}: the bean name), the health contributor (one entry per pool), the endpoint and the
 * graceful shutdown cover all of them. The event bridge and the health monitor publish events
 * that carry no pool name, so they serve only a single candidate (the only pool, or the
 * {@code @Primary} one) rather than fail the start or mix pools up; the retry beans follow the
 * only {@link PoolConfig}, or the properties when there are several.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"})
@ConditionalOnClass(OptimizedConnectionPool.class)
@EnableConfigurationProperties(GuardianPoolProperties.class)
public final class GuardianPoolAutoConfiguration {

    /** The name of the pool bean this creates, and its {@code pool} tag. */
    public static final String DEFAULT_POOL_NAME = "guardianPool";

    /**
     * This node's identity: from {@code guardian.pool.identity.key-file}, else generated for this
     * run. Its PeerId is logged once at INFO.
     *
     * @param properties the settings
     * @return the identity
     */
    @Bean
    @ConditionalOnMissingBean
    public PeerIdentity guardianPoolIdentity(GuardianPoolProperties properties) {
        return IdentityLoader.load(properties.identity().keyFile());
    }

    /**
     * The pool's settings: core's defaults, the properties that are set, then every
     * {@link GuardianPoolCustomizer} in order.
     *
     * @param properties the settings
     * @param customizers the customizers
     * @return the validated configuration
     */
    @Bean
    @ConditionalOnMissingBean
    public PoolConfig guardianPoolConfig(GuardianPoolProperties properties,
            ObjectProvider<GuardianPoolCustomizer> customizers) {
        return PoolConfigFactory.create(properties, customizers.orderedStream());
    }

    /**
     * The pool. Closed by {@link PoolGracefulShutdown} when the context closes, with a grace for
     * leases; the destroy method closes it at once if that did not run (a no-op otherwise).
     *
     * @param config its settings
     * @param identity who it dials as
     * @return the pool
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public OptimizedConnectionPool guardianPool(PoolConfig config, PeerIdentity identity,
            ObjectProvider<PoolInstrumentation> instrumentation) {
        return new OptimizedConnectionPool(config, identity, instrumentation.getIfUnique(() -> PoolInstrumentation.NONE));
    }

    /**
     * Publishes every pool event as an application event.
     *
     * @param pool the pool
     * @param publisher the context
     * @return the bridge
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnSingleCandidate(OptimizedConnectionPool.class)
    public PoolEventBridge guardianPoolEventBridge(OptimizedConnectionPool pool, ApplicationEventPublisher publisher) {
        return new PoolEventBridge(pool, publisher);
    }

    /**
     * Closes the pool when the context closes, giving leases up to
     * {@code guardian.pool.shutdown.grace-period} to come back.
     *
     * @param pool the pool
     * @param properties the settings
     * @param context the context, whose closing (not a mere stop) closes the pool
     * @return the lifecycle
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(OptimizedConnectionPool.class)
    public PoolGracefulShutdown guardianPoolGracefulShutdown(Map<String, OptimizedConnectionPool> pools,
            GuardianPoolProperties properties, ConfigurableApplicationContext context) {
        return new PoolGracefulShutdown(pools, properties.shutdown().gracePeriod(), context);
    }

    /**
     * Runs a health pass every {@code health-check-interval}.
     *
     * @param pool the pool
     * @param publisher where each pass's report goes
     * @return the monitor
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnSingleCandidate(OptimizedConnectionPool.class)
    @ConditionalOnBooleanProperty(name = "guardian.pool.health.enabled", matchIfMissing = true)
    public PoolHealthMonitor guardianPoolHealthMonitor(OptimizedConnectionPool pool,
            ApplicationEventPublisher publisher) {
        return new PoolHealthMonitor(pool, publisher);
    }

    /**
     * The listener, opt-in: only when {@code guardian.pool.listener.port} is set. It answers as the
     * pool's identity with the {@link GuardianPoolHandler} beans, is shared with the pool on
     * libp2p, and closes with the context (after the sharing stops, before the pool closes).
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "guardian.pool.listener", name = "port")
    static class ListenerConfiguration {

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        PeerListener guardianPoolListener(GuardianPoolProperties properties, ObjectProvider<PoolConfig> configs,
                PeerIdentity identity, ObjectProvider<GuardianPoolHandler> handlers,
                ObjectProvider<GuardianPoolListenerCustomizer> customizers) {
            return ListenerFactory.start(properties.listener(), single(configs, PoolConfig.class), identity,
                    handlers.orderedStream().toList(), customizers.orderedStream());
        }

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        GuardianPoolListenerAttachment guardianPoolListenerAttachment(ObjectProvider<OptimizedConnectionPool> pools,
                PeerListener listener, ObjectProvider<PoolConfig> configs) {
            return new GuardianPoolListenerAttachment(single(pools, OptimizedConnectionPool.class), listener,
                    single(configs, PoolConfig.class).transport());
        }

        /**
         * The only bean of {@code type}, or the {@code @Primary} one. With several pools the listener
         * cannot guess which one it shares connections with: the start fails saying what to do.
         */
        private static <T> T single(ObjectProvider<T> beans, Class<T> type) {
            T bean = beans.getIfUnique();
            if (bean == null) {
                throw new IllegalStateException("guardian.pool.listener.port is set but there is no single "
                        + type.getSimpleName() + " bean to answer for: mark one @Primary, or define your own "
                        + "PeerListener and GuardianPoolListenerAttachment beans");
            }
            return bean;
        }
    }

    /**
     * Spring Framework 7's core retry (always on the class path): a {@code RetryPolicy} and a
     * {@code RetryTemplate} from the pool's retry settings.
     */
    @Configuration(proxyBeanMethods = false)
    static class CoreRetryConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "guardianPoolRetryPolicy")
        org.springframework.core.retry.RetryPolicy guardianPoolRetryPolicy(ObjectProvider<PoolConfig> configs,
                GuardianPoolProperties properties, ObjectProvider<GuardianPoolCustomizer> customizers) {
            return io.guardian.pool.spring.retry.GuardianPoolRetryPolicy.create(
                    retryConfig(configs, properties, customizers), properties.retry().retryRequestTimeouts());
        }

        @Bean
        @ConditionalOnMissingBean(name = "guardianPoolCoreRetryTemplate")
        org.springframework.core.retry.RetryTemplate guardianPoolCoreRetryTemplate(
                @org.springframework.beans.factory.annotation.Qualifier("guardianPoolRetryPolicy")
                org.springframework.core.retry.RetryPolicy guardianPoolRetryPolicy) {
            return new org.springframework.core.retry.RetryTemplate(guardianPoolRetryPolicy);
        }
    }

    /** spring-retry, when the application has it. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(RetryTemplate.class)
    static class RetryConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "guardianPoolRetryTemplate")
        RetryTemplate guardianPoolRetryTemplate(ObjectProvider<PoolConfig> configs, GuardianPoolProperties properties,
                ObjectProvider<GuardianPoolCustomizer> customizers) {
            return GuardianPoolRetry.template(retryConfig(configs, properties, customizers),
                    properties.retry().retryRequestTimeouts());
        }
    }

    /**
     * The settings the retry beans follow: the application's only {@link PoolConfig}, or, when it
     * declares several (one per pool), the one {@code guardian.pool.*} and the customizers make,
     * so that a second pool does not make them ambiguous.
     */
    static PoolConfig retryConfig(ObjectProvider<PoolConfig> configs, GuardianPoolProperties properties,
            ObjectProvider<GuardianPoolCustomizer> customizers) {
        return configs.getIfUnique(() -> PoolConfigFactory.create(properties, customizers.orderedStream()));
    }

    /** Micrometer, when the application has it and a registry. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterBinder.class)
    static class MetricsConfiguration {

        /** HELP text for the timers Micrometer derives from the pool's observations. */
        @Bean
        @ConditionalOnClass(ObservationRegistry.class)
        static ObservationMeterDescriptions guardianPoolObservationMeterDescriptions() {
            return new ObservationMeterDescriptions();
        }

        @Configuration(proxyBeanMethods = false)
        @ConditionalOnBean(MeterRegistry.class)
        static class MeterBinderConfiguration {

            @Bean
            @ConditionalOnMissingBean
            GuardianPoolMetrics guardianPoolMetrics(Map<String, OptimizedConnectionPool> pools,
                    GuardianPoolProperties properties) {
                return new GuardianPoolMetrics(pools, properties.metrics().perPeer());
            }

            @Bean
            @ConditionalOnBooleanProperty("guardian.pool.metrics.per-peer")
            PerPeerRefresher guardianPoolPerPeerRefresher(ObjectProvider<GuardianPoolMetrics> metrics) {
                return new PerPeerRefresher(metrics);
            }
        }
    }

    /**
     * Micrometer Observation, when the application has an {@link ObservationRegistry}: the
     * {@code guardian.pool.dial} and {@code guardian.pool.request} observations of the
     * {@code guardianPool} bean, and {@link GuardianPoolObservations} for pools the application
     * declares itself. Boot's {@code management.observations.enable.guardian.pool=false} switches
     * them off through the registry's predicate.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(ObservationRegistry.class)
    @ConditionalOnBean(ObservationRegistry.class)
    static class ObservationConfiguration {

        @Bean
        @ConditionalOnMissingBean
        GuardianPoolObservations guardianPoolObservations(ObservationRegistry registry,
                ObjectProvider<GuardianPoolDialObservationConvention> dialConvention,
                ObjectProvider<GuardianPoolRequestObservationConvention> requestConvention) {
            return new GuardianPoolObservations(registry, dialConvention.getIfUnique(),
                    requestConvention.getIfUnique());
        }

        /** For the starter's own pool, so only when the application declares no pool of its own (as it). */
        @Bean
        @ConditionalOnMissingBean({PoolInstrumentation.class, OptimizedConnectionPool.class})
        PoolInstrumentation guardianPoolInstrumentation(GuardianPoolObservations observations) {
            return observations.forPool(DEFAULT_POOL_NAME);
        }
    }

    /** Refreshes the per-peer meters after each health pass, when they are on. */
    static final class PerPeerRefresher {

        private final ObjectProvider<GuardianPoolMetrics> metrics;

        PerPeerRefresher(ObjectProvider<GuardianPoolMetrics> metrics) {
            this.metrics = metrics;
        }

        @EventListener
        void onHealthPass(HealthReport report) {
            GuardianPoolMetrics m = metrics.getIfAvailable();
            if (m != null) {
                m.refreshPerPeer();
            }
        }
    }

    /** Actuator, when the application has it. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class})
    static class ActuatorConfiguration {

        @Configuration(proxyBeanMethods = false)
        @ConditionalOnAvailableEndpoint(endpoint = ConnectionPoolEndpoint.class)
        static class EndpointConfiguration {

            @Bean
            @ConditionalOnMissingBean
            ConnectionPoolEndpoint connectionPoolEndpoint(Map<String, OptimizedConnectionPool> pools,
                    GuardianPoolProperties properties) {
                return new ConnectionPoolEndpoint(pools, properties.endpoint().maxPeers());
            }

            @Bean
            @ConditionalOnMissingBean
            @ConditionalOnBean(ConnectionPoolEndpoint.class)
            ConnectionPoolEndpointWebExtension connectionPoolEndpointWebExtension(ConnectionPoolEndpoint endpoint) {
                return new ConnectionPoolEndpointWebExtension(endpoint);
            }
        }
    }

    /** The health indicator, when the application has Spring Boot's health support. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class})
    static class HealthConfiguration {

        @Configuration(proxyBeanMethods = false)
        @ConditionalOnEnabledHealthIndicator("connectionpool")
        static class HealthIndicatorConfiguration {

            /**
             * One pool: its indicator, {@code connectionPool} in the health tree. Several: a
             * composite {@code connectionPool} with one indicator per pool, named by its bean name
             * (as Boot does for several DataSources).
             */
            @Bean
            @ConditionalOnMissingBean(name = "connectionPoolHealthIndicator")
            HealthContributor connectionPoolHealthIndicator(Map<String, OptimizedConnectionPool> pools,
                    GuardianPoolProperties properties, ObjectProvider<PoolHealthMonitor> monitors) {
                boolean down = properties.health().downOnOpenCircuit();
                if (pools.size() == 1) {
                    return indicator(pools.values().iterator().next(), down, monitors);
                }
                return CompositeHealthContributor.fromMap(new TreeMap<>(pools), pool -> indicator(pool, down, monitors));
            }

            private static ConnectionPoolHealthIndicator indicator(OptimizedConnectionPool pool, boolean down,
                    ObjectProvider<PoolHealthMonitor> monitors) {
                return new ConnectionPoolHealthIndicator(pool, down, () -> monitors.stream()
                        .filter(m -> m.pool() == pool).findFirst().flatMap(PoolHealthMonitor::lastReport)
                        .orElse(null));
            }
        }
    }
}
