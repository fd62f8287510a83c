package io.guardian.pool.reliability;

import java.time.Duration;
import java.util.Arrays;

/** Durations measured in nanoseconds, summarised as count, min, median, p90, p99 and max. Thread-safe. */
final class Distribution {

    private long[] samples = new long[1024];
    private int size;

    synchronized void add(long nanos) {
        if (size == samples.length) {
            samples = Arrays.copyOf(samples, size * 2);
        }
        samples[size++] = nanos;
    }

    synchronized int count() {
        return size;
    }

    /** The {@code q}-quantile (0..1, nearest rank), or zero when empty. */
    synchronized Duration quantile(double q) {
        if (size == 0) {
            return Duration.ZERO;
        }
        long[] sorted = Arrays.copyOf(samples, size);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * size);
        return Duration.ofNanos(sorted[Math.max(0, Math.min(size - 1, rank - 1))]);
    }

    Duration min() {
        return quantile(0.0);
    }

    Duration median() {
        return quantile(0.5);
    }

    Duration max() {
        return quantile(1.0);
    }

    /** Writes the summary into {@code into}. */
    Figures summary(Figures into) {
        into.put("count", count());
        if (count() > 0) {
            into.put("minMs", min());
            into.put("medianMs", median());
            into.put("p90Ms", quantile(0.90));
            into.put("p99Ms", quantile(0.99));
            into.put("maxMs", max());
        }
        return into;
    }
}
