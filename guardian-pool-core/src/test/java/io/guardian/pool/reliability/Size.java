package io.guardian.pool.reliability;

/**
 * The two sizes of the reliability suite. CI size runs inside {@code ./mvnw verify}; the long size
 * ({@code -Dguardian.reliability=long}) runs for minutes and is the one whose figures go into
 * RELIABILITY.md. {@code -Dguardian.reliability.seed=N} replays a run.
 */
enum Size {
    CI,
    LONG;

    /** The base seed every test derives its own random streams from. */
    static final long SEED = Long.getLong("guardian.reliability.seed", 0x5EED_2024_0601L);

    /** The size this JVM was started with. */
    static Size current() {
        String value = System.getProperty("guardian.reliability", "ci").trim();
        if (value.equalsIgnoreCase("long")) {
            return LONG;
        }
        if (value.isEmpty() || value.equalsIgnoreCase("ci")) {
            return CI;
        }
        throw new IllegalArgumentException("-Dguardian.reliability must be ci or long, was " + value);
    }

    /** {@code ci} in CI size, {@code full} in the long size. */
    <T> T pick(T ci, T full) {
        return this == LONG ? full : ci;
    }

    int pick(int ci, int full) {
        return this == LONG ? full : ci;
    }

    /** The Maven command that reproduces a run of this size for one test class. */
    String command(Class<?> test) {
        return "./mvnw -pl guardian-pool-core test -Dtest=" + test.getSimpleName()
                + (this == LONG ? " -Dguardian.reliability=long" : "") + " -Dguardian.reliability.seed=" + SEED;
    }
}
