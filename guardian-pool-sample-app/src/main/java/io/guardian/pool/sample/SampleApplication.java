package io.guardian.pool.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The Guardian Pool sample: a Spring Boot app whose pool (from the starter) talks to embedded
 * demo peers, with background traffic, a REST API, a live dashboard at {@code /}, and the
 * Actuator endpoints {@code connectionpool}, {@code health}, {@code prometheus} and
 * {@code metrics}. Start it with {@code ./mvnw -pl guardian-pool-sample-app -am spring-boot:run}.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class SampleApplication {

    /**
     * Starts the sample.
     *
     * @param args Spring Boot command-line arguments, such as {@code --server.port=9090}
     */
    public static void main(String[] args) {
        SpringApplication.run(SampleApplication.class, args);
    }
}
