package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * A bad value stops start-up with Spring Boot's own failure report, which names the property,
 * the value as written and its origin: the file and line, or the environment variable.
 */
@Timeout(60)
@ExtendWith(OutputCaptureExtension.class)
class PropertyFailureReportTest {

    @Test
    void aBadValueInApplicationYmlIsReportedWithItsFileAndLine(@TempDir Path dir, CapturedOutput output)
            throws Exception {
        Path yml = dir.resolve("application.yml");
        Files.writeString(yml, String.join("\n",
                "guardian:",
                "  pool:",
                "    max-connections-per-peer: 4",
                "    circuit-breaker-threshold: 1.5",
                ""));

        assertThatThrownBy(() -> run("--spring.config.location=file:" + yml)).isNotNull();

        assertThat(output.getOut() + output.getErr()).contains("APPLICATION FAILED TO START",
                "Property: guardian.pool.circuit-breaker-threshold", "Value: \"1.5\"",
                "Origin: URL [file:" + yml + "] - 4:32",
                "Reason: guardian.pool.circuit-breaker-threshold must be > 0 and <= 1",
                "Update guardian.pool.circuit-breaker-threshold");
    }

    @Test
    void aBadValueOnTheCommandLineIsReportedWithThatOrigin(CapturedOutput output) {
        assertThatThrownBy(() -> run("--guardian.pool.handshake.allowed-peers=not-a-peer-id")).isNotNull();

        assertThat(output.getOut() + output.getErr()).contains(
                "Property: guardian.pool.handshake.allowed-peers", "Value: \"not-a-peer-id\"",
                "Origin: \"guardian.pool.handshake.allowed-peers\" from property source \"commandLineArgs\"",
                "which is not a PeerId");
    }

    @Test
    void aValueSetByACustomizerHasNoOriginAndSaysWhoSetIt() {
        // A context that failed to start hands out nothing; keep its environment as it is created.
        AtomicReference<Environment> environment = new AtomicReference<>();
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(GuardianPoolAutoConfiguration.class))
                .withInitializer(context -> environment.set(context.getEnvironment()))
                .withPropertyValues("guardian.pool.health.enabled=false")
                .withBean(GuardianPoolCustomizer.class, () -> b -> b.maxConnectionsPerPeer(0)).run(context -> {
                    FailureAnalysis analysis = new GuardianPoolPropertyFailureAnalyzer(
                            environment.get())
                            .analyze(context.getStartupFailure());
                    assertThat(analysis.getDescription())
                            .contains("Property: guardian.pool.max-connections-per-peer",
                                    "a GuardianPoolCustomizer bean set this value")
                            .doesNotContain("Value:", "Origin:");
                });
    }

    private static void run(String... args) {
        SpringApplication app = new SpringApplication(App.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.run(args).close();
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(GuardianPoolAutoConfiguration.class)
    static class App {
    }
}
