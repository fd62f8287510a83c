package io.guardian.pool.health;

import java.time.Duration;
import java.util.Objects;

/**
 * The original GuardianDB health score, as a pure function of measurements, broken into its five
 * parts so that a low score can be explained. Weights and breakpoints are the original's; only
 * the 100 ms latency breakpoint became a setting ({@code latency-budget}).
 *
 * <ul>
 *   <li>connectivity (0.40): {@code 1 - min(pingRtt, budget) / budget}, times {@code 1 - loss},
 *       zero if the peer did not answer at all;</li>
 *   <li>latency (0.25): the same curve over the average latency;</li>
 *   <li>age (0.15): 1.0 under one hour, 0.8 under two, else 0.5;</li>
 *   <li>usage (0.15): idle under 60 s 1.0, under 300 s 0.8, else 0.5;</li>
 *   <li>operations (0.05): more than 100 → 1.0, more than 10 → 0.8, else 0.6.</li>
 * </ul>
 *
 * @param connectivity the connectivity part, 0 to 1, before weighting
 * @param latency the latency part, 0 to 1, before weighting
 * @param age the age part, 0 to 1, before weighting
 * @param usage the usage part, 0 to 1, before weighting
 * @param operations the operations part, 0 to 1, before weighting
 */
public record HealthScore(double connectivity, double latency, double age, double usage, double operations) {

    /** Weight of connectivity: 0.40. */
    public static final double CONNECTIVITY_WEIGHT = 0.40;
    /** Weight of latency: 0.25. */
    public static final double LATENCY_WEIGHT = 0.25;
    /** Weight of age: 0.15. */
    public static final double AGE_WEIGHT = 0.15;
    /** Weight of usage: 0.15. */
    public static final double USAGE_WEIGHT = 0.15;
    /** Weight of operations: 0.05. */
    public static final double OPERATIONS_WEIGHT = 0.05;
    /** Scores below this make a peer degraded, as in the original. */
    public static final double DEGRADED_BELOW = 0.5;

    /**
     * The weighted score.
     *
     * @return the sum of the weighted parts, clamped to 0..1
     */
    public double value() {
        double sum = connectivity * CONNECTIVITY_WEIGHT + latency * LATENCY_WEIGHT + age * AGE_WEIGHT
                + usage * USAGE_WEIGHT + operations * OPERATIONS_WEIGHT;
        return Math.max(0.0, Math.min(1.0, sum));
    }

    /**
     * Whether this score makes a peer degraded.
     *
     * @return {@code value() < 0.5}
     */
    public boolean degraded() {
        return value() < DEGRADED_BELOW;
    }

    /**
     * Scores a peer or a connection.
     *
     * @param reachable whether it answered at all in the measurement (false scores connectivity 0)
     * @param pingRttMs the measured round trip, in ms, 0 or more
     * @param lossRate the share of PINGs lost, 0 to 1
     * @param avgLatencyMs the moving average of round trips, in ms, 0 or more
     * @param age how long it has been connected
     * @param idle how long since it was last used (zero while in use)
     * @param operations how many operations it carried
     * @param latencyBudget the round trip that scores zero ({@code latency-budget})
     * @return the five parts
     * @throws IllegalArgumentException if a measurement is negative, not a number, or the loss
     *     rate is above 1
     */
    public static HealthScore compute(boolean reachable, double pingRttMs, double lossRate, double avgLatencyMs,
            Duration age, Duration idle, long operations, Duration latencyBudget) {
        return new HealthScore(
                connectivityScore(reachable, pingRttMs, lossRate, latencyBudget),
                latencyScore(avgLatencyMs, latencyBudget),
                ageScore(age),
                usageScore(idle),
                operationsScore(operations));
    }

    /**
     * The connectivity part.
     *
     * @param reachable whether any PING (or the connection itself) got through
     * @param pingRttMs the round trip in ms
     * @param lossRate the share of PINGs lost, 0 to 1
     * @param latencyBudget the round trip that scores zero
     * @return 0 to 1
     */
    public static double connectivityScore(boolean reachable, double pingRttMs, double lossRate,
            Duration latencyBudget) {
        if (!(lossRate >= 0.0 && lossRate <= 1.0)) {
            throw new IllegalArgumentException("lossRate must be between 0 and 1, was " + lossRate);
        }
        if (!reachable) {
            return 0.0;
        }
        return budgetFraction(pingRttMs, latencyBudget, "pingRttMs") * (1.0 - lossRate);
    }

    /**
     * The latency part.
     *
     * @param avgLatencyMs the moving average of round trips in ms
     * @param latencyBudget the round trip that scores zero
     * @return 0 to 1
     */
    public static double latencyScore(double avgLatencyMs, Duration latencyBudget) {
        return budgetFraction(avgLatencyMs, latencyBudget, "avgLatencyMs");
    }

    /**
     * The age part, with the original's breakpoints.
     *
     * @param age time since connected
     * @return 1.0, 0.8 or 0.5
     */
    public static double ageScore(Duration age) {
        long secs = nonNegative(age, "age").getSeconds();
        if (secs < 3600) {
            return 1.0;
        }
        return secs < 7200 ? 0.8 : 0.5;
    }

    /**
     * The usage part, with the original's breakpoints.
     *
     * @param idle time since last use
     * @return 1.0, 0.8 or 0.5
     */
    public static double usageScore(Duration idle) {
        long secs = nonNegative(idle, "idle").getSeconds();
        if (secs < 60) {
            return 1.0;
        }
        return secs < 300 ? 0.8 : 0.5;
    }

    /**
     * The operations part, with the original's breakpoints.
     *
     * @param operations operations carried
     * @return 1.0, 0.8 or 0.6
     */
    public static double operationsScore(long operations) {
        if (operations < 0) {
            throw new IllegalArgumentException("operations must be >= 0, was " + operations);
        }
        if (operations > 100) {
            return 1.0;
        }
        return operations > 10 ? 0.8 : 0.6;
    }

    private static double budgetFraction(double ms, Duration budget, String name) {
        Objects.requireNonNull(budget, "latencyBudget");
        if (budget.isNegative() || budget.isZero()) {
            throw new IllegalArgumentException("latencyBudget must be positive, was " + budget);
        }
        if (!(ms >= 0.0)) {
            throw new IllegalArgumentException(name + " must be a number >= 0, was " + ms);
        }
        double budgetMs = budget.toNanos() / 1_000_000.0;
        return (budgetMs - Math.min(ms, budgetMs)) / budgetMs;
    }

    private static Duration nonNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must be >= 0, was " + d);
        }
        return d;
    }
}
