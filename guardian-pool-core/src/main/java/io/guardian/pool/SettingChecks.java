package io.guardian.pool;

import java.time.Duration;
import java.util.Objects;

/** The range checks {@link PoolConfig.Builder#build()} applies, each naming its setting. Not API. */
final class SettingChecks {

    private SettingChecks() {
    }

    static void atLeast(String setting, int value, int min) {
        if (value < min) {
            throw new InvalidSettingException(setting, setting + " must be >= " + min + ", was " + value);
        }
    }

    static void positive(String setting, Duration value) {
        Objects.requireNonNull(value, setting + " must not be null");
        if (value.isNegative() || value.isZero()) {
            throw new InvalidSettingException(setting, setting + " must be positive, was " + value);
        }
        atMostLongest(setting, value);
    }

    /**
     * Refuses "forever": the engine adds durations to clock readings in nanoseconds, where a
     * value beyond {@link PoolConfig#LONGEST_DURATION} could overflow and fail long after start-up.
     */
    static void atMostLongest(String setting, Duration value) {
        if (value.compareTo(PoolConfig.LONGEST_DURATION) > 0) {
            throw new InvalidSettingException(setting, setting + " must be at most " + PoolConfig.LONGEST_DURATION.toDays()
                    + " days (use a long but finite value rather than \"forever\"), was " + value);
        }
    }

    static void notNegative(String setting, Duration value) {
        Objects.requireNonNull(value, setting + " must not be null (use Duration.ZERO)");
        if (value.isNegative()) {
            throw new InvalidSettingException(setting, setting + " must be >= 0, was " + value);
        }
        atMostLongest(setting, value);
    }
}
