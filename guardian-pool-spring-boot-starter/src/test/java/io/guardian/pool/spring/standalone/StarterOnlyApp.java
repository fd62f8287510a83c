package io.guardian.pool.spring.standalone;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.spring.GuardianPoolProperties;
import java.util.List;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * An application whose only dependency is the starter, started by {@code StarterJarIT} in a JVM
 * of its own on the starter's run-time class path plus a directory holding this class and an
 * {@code application.yml}. Prints what it bound as {@code key=value} lines for the test to read,
 * and which optional libraries it can see, so the test knows the class path really was bare.
 */
@Configuration(proxyBeanMethods = false)
@EnableAutoConfiguration
public class StarterOnlyApp {

    /**
     * Starts, prints, closes.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(StarterOnlyApp.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        try (ConfigurableApplicationContext context = app.run()) {
            GuardianPoolProperties properties = context.getBean(GuardianPoolProperties.class);
            PoolConfig config = context.getBean(PoolConfig.class);
            System.out.println("bound.max-connections-per-peer=" + properties.maxConnectionsPerPeer());
            System.out.println("bound.handshake.max-frame-size=" + properties.handshake().maxFrameSize());
            System.out.println("bound.endpoint.max-peers=" + properties.endpoint().maxPeers());
            System.out.println("config.maxConnectionsPerPeer=" + config.maxConnectionsPerPeer());
            System.out.println("config.connectionTimeout=" + config.connectionTimeout());
            System.out.println("pool.beans=" + context.getBeanNamesForType(OptimizedConnectionPool.class).length);
            for (String optional : List.of("io.micrometer.core.instrument.MeterRegistry",
                    "org.springframework.boot.actuate.endpoint.annotation.Endpoint",
                    "org.springframework.retry.support.RetryTemplate", "org.yaml.snakeyaml.Yaml")) {
                System.out.println("present." + optional + "=" + present(optional));
            }
        }
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, StarterOnlyApp.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
