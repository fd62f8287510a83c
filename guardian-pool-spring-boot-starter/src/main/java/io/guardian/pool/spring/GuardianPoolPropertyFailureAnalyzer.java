package io.guardian.pool.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Prints a failed start-up caused by a bad {@code guardian.pool.*} value the way Spring Boot
 * prints its own binding failures: what is wrong, then which property to change, instead of a
 * stack of bean-creation exceptions. Registered in {@code META-INF/spring.factories}. Not API.
 */
final class GuardianPoolPropertyFailureAnalyzer extends AbstractFailureAnalyzer<GuardianPoolPropertyException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, GuardianPoolPropertyException cause) {
        return new FailureAnalysis(cause.getMessage(),
                "Update " + cause.property() + " in your application's configuration (application.properties,"
                        + " application.yml, environment variables), or the GuardianPoolCustomizer that sets it.",
                cause);
    }
}
