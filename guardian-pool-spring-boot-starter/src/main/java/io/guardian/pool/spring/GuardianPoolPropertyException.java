package io.guardian.pool.spring;

import java.util.Objects;

/**
 * A {@code guardian.pool.*} property holds a value the pool cannot run with. Thrown while the
 * application context starts, so a bad value stops start-up instead of surfacing at the first
 * acquire; Spring Boot's failure analysis then prints the property and what to change.
 */
public final class GuardianPoolPropertyException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final String property;

    /**
     * @param property the full property name, e.g. {@code guardian.pool.max-connections-per-peer}
     * @param message what is wrong, naming the property, the bound and the value given
     */
    public GuardianPoolPropertyException(String property, String message) {
        super(message);
        this.property = Objects.requireNonNull(property, "property");
    }

    /**
     * @param property the full property name
     * @param message what is wrong, naming the property, the bound and the value given
     * @param cause core's own validation failure
     */
    public GuardianPoolPropertyException(String property, String message, Throwable cause) {
        super(message, cause);
        this.property = Objects.requireNonNull(property, "property");
    }

    /**
     * The property to change, so tools and tests need not parse the message.
     *
     * @return the full property name
     */
    public String property() {
        return property;
    }
}
