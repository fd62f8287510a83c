package io.guardian.pool.internal.pool;

/**
 * Round-trip measurements of one connection or one peer. Not API. Thread-safe (samples come from
 * lease holders, the health pass and dial completions).
 *
 * <p>Two averages. The EWMA (weight {@value #EWMA_WEIGHT} on the newest sample) feeds the health
 * score and the snapshots. The peak EWMA, for choosing between peers, jumps up to any sample
 * above it and decays towards lower samples, and towards zero while nothing is measured, with
 * time constant {@value #PEAK_DECAY_NANOS} ns (Finagle's load balancer uses the same shape and
 * constant): a peer that turned slow is avoided at once, and one that has been avoided is tried
 * again after a while.
 */
final class LatencyTracker {

    /** Weight of the newest sample in the EWMA. */
    static final double EWMA_WEIGHT = 0.3;
    /** Time constant of the peak EWMA's decay: 10 s. */
    static final double PEAK_DECAY_NANOS = 10_000_000_000.0;

    /** Written under the lock, read without it: the acquire path compares idle connections by it. */
    private volatile double ewmaNanos = Double.NaN;
    private double peakNanos;
    private long peakStampNanos;
    private long lastSampleNanos = -1;
    private long samples;

    /**
     * Adds one round trip.
     *
     * @param rttNanos the round trip
     * @param now when it was measured, from the pool clock
     */
    synchronized void record(long rttNanos, long now) {
        double rtt = Math.max(0L, rttNanos);
        ewmaNanos = Double.isNaN(ewmaNanos) ? rtt : ewmaNanos + EWMA_WEIGHT * (rtt - ewmaNanos);
        double decayed = decayedPeak(now);
        if (rtt > decayed) {
            peakNanos = rtt;
        } else {
            double w = Math.exp(-Math.max(0L, now - peakStampNanos) / PEAK_DECAY_NANOS);
            peakNanos = peakNanos * w + rtt * (1.0 - w);
        }
        peakStampNanos = now;
        lastSampleNanos = rttNanos;
        samples++;
    }

    private double decayedPeak(long now) {
        if (samples == 0) {
            return 0.0;
        }
        return peakNanos * Math.exp(-Math.max(0L, now - peakStampNanos) / PEAK_DECAY_NANOS);
    }

    /** @return the EWMA in milliseconds, 0 before any sample */
    double ewmaMillis() {
        double e = ewmaNanos;
        return Double.isNaN(e) ? 0.0 : e / 1_000_000.0;
    }

    /** @return the peak EWMA decayed to {@code now}, in nanoseconds; 0 before any sample */
    synchronized double peakNanos(long now) {
        return decayedPeak(now);
    }

    /** @return the newest sample in milliseconds, 0 before any */
    synchronized double lastMillis() {
        return lastSampleNanos < 0 ? 0.0 : lastSampleNanos / 1_000_000.0;
    }

    /** @return how many samples were recorded */
    synchronized long samples() {
        return samples;
    }
}
