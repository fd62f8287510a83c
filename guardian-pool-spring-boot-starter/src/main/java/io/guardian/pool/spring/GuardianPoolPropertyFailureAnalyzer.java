package io.guardian.pool.spring;

import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.origin.Origin;
import org.springframework.core.env.Environment;

/**
 * Prints a failed start-up caused by a bad {@code guardian.pool.*} value the way Spring Boot
 * prints its own binding failures: the property, the value as it was written, where it was
 * written (its {@link Origin}: file and line, environment variable, command-line argument) and
 * what is wrong, then which property to change, instead of a stack of bean-creation exceptions.
 *
 * <p>The value and origin come from the application's {@link Environment}, highest-precedence
 * source first, as the binder found them. A value a {@link GuardianPoolCustomizer} set is in no
 * property source: the message says so and there is no origin to print. Registered in
 * {@code META-INF/spring.factories}; Spring Boot passes the {@link Environment} to the
 * constructor. Not API.
 */
final class GuardianPoolPropertyFailureAnalyzer extends AbstractFailureAnalyzer<GuardianPoolPropertyException> {

    private final Environment environment;

    /**
     * @param environment the failed application's environment, where the value and its origin
     *     are looked up
     */
    GuardianPoolPropertyFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, GuardianPoolPropertyException cause) {
        StringBuilder description = new StringBuilder("Invalid Guardian Pool configuration:")
                .append(System.lineSeparator()).append(System.lineSeparator());
        ConfigurationProperty property = find(cause.property());
        description.append("    Property: ")
                .append(property == null ? cause.property() : property.getName().toString())
                .append(System.lineSeparator());
        if (property != null) {
            description.append("    Value: \"").append(property.getValue()).append('"').append(System.lineSeparator());
            Origin origin = property.getOrigin();
            if (origin != null) {
                description.append("    Origin: ").append(origin).append(System.lineSeparator());
            }
        }
        description.append("    Reason: ").append(cause.getMessage());
        return new FailureAnalysis(description.toString(),
                "Update " + cause.property() + " in your application's configuration (application.properties,"
                        + " application.yml, environment variables), or the GuardianPoolCustomizer that sets it.",
                cause);
    }

    /**
     * The property as the binder saw it: the highest-precedence source that has it, or, for a
     * list such as {@code handshake.allowed-peers}, its first element ({@code allowed-peers[0]}).
     *
     * @return the property, or {@code null} when no property source holds it
     */
    private ConfigurationProperty find(String property) {
        if (environment == null || !ConfigurationPropertyName.isValid(property)) {
            return null;
        }
        ConfigurationPropertyName name = ConfigurationPropertyName.of(property);
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            ConfigurationProperty found = source.getConfigurationProperty(name);
            if (found == null && source instanceof IterableConfigurationPropertySource iterable) {
                found = iterable.stream().filter(name::isAncestorOf).sorted().findFirst()
                        .map(source::getConfigurationProperty).orElse(null);
            }
            if (found != null) {
                return found;
            }
        }
        return null;
    }
}
