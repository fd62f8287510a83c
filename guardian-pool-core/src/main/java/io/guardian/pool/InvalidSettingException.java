package io.guardian.pool;

import java.util.Objects;

/**
 * A {@link PoolConfig} setting has a value the pool cannot use. Thrown by
 * {@link PoolConfig.Builder#build()} (and by the builder's setters for {@code null}), so a bad
 * value fails at start-up instead of at first use.
 *
 * <p>{@link #setting()} names the setting in kebab case, as in the message and as the Spring Boot
 * starter's properties name it after {@code guardian.pool.} (for example
 * {@code max-connections-per-peer}, {@code circuit-breaker.open-timeout}); tools map it to their own
 * property names without parsing the message. Still an {@link IllegalArgumentException}.
 */
public class InvalidSettingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String setting;

    /**
     * @param setting the setting's name in kebab case
     * @param message the whole message, starting with the setting's name, then the rule and the value
     */
    public InvalidSettingException(String setting, String message) {
        super(message);
        this.setting = Objects.requireNonNull(setting, "setting");
    }

    /**
     * The setting whose value was refused.
     *
     * @return its name in kebab case, never {@code null}
     */
    public String setting() {
        return setting;
    }
}
