package io.guardian.pool.internal.pool;

import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.health.HealthScore;
import io.guardian.pool.health.PeerHealthMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Turns what the health pass measured for a peer into its {@link PeerHealthMetrics}, and raises
 * Degraded/Recovered on crossings. Not API.
 *
 * <p>A peer is scored when it has a connection open. One without, whose dials have failed since
 * its last successful one, is unreachable: it is rescored from what was measured, connectivity 0
 * and the other parts from its last measurements (latency average, time since last use, and the
 * age and operations parts of its last score), and counts as degraded whatever that sums to. With
 * the original weights connectivity alone is 0.40, so a fast peer that cannot be reached would
 * otherwise still score about 0.58 and never be reported. It recovers at the first pass that finds
 * a connection of it open again and scores 0.5 or more. A peer that is merely idle (no connection,
 * no failed dial) keeps its last score: nothing new was measured.
 */
final class PeerScoring {

    private PeerScoring() {
    }

    /**
     * Scores a peer that had a connection open when the pass began. {@code agg} holds the pass's
     * PINGs of this peer, {rtt sum, answered, lost}, or is {@code null} if none was sent.
     */
    static PeerHealthMetrics score(PoolEngine e, PeerSlot s, long[] agg, long now, Instant wallNow) {
        synchronized (s) {
            boolean answered = agg == null || agg[1] > 0 || agg[2] == 0;
            boolean reachable = !s.conns.isEmpty() && answered;
            double avg = s.latency.ewmaMillis();
            double pingRtt = agg != null && agg[1] > 0 ? agg[0] / (double) agg[1] / 1_000_000.0 : avg;
            double loss = s.lossRate();
            long uptime = s.uptimeStartNanos < 0 ? 0L : Math.max(0L, now - s.uptimeStartNanos);
            long idle = s.leased > 0 ? 0L : Math.max(0L, now - s.lastUsedNanos);
            long throughput = s.leaseNanos <= 0 ? 0L : (long) (s.leaseBytes * 1e9 / s.leaseNanos);
            HealthScore score = HealthScore.compute(reachable, pingRtt, loss, avg, Duration.ofNanos(uptime),
                    Duration.ofNanos(idle), s.operations(), e.config().latencyBudget());
            double value = score.value();
            PeerHealthMetrics metrics = new PeerHealthMetrics(avg, loss, throughput,
                    TimeUnit.NANOSECONDS.toSeconds(uptime), value, wallNow);
            s.metrics = metrics;
            s.lastScore = score;
            markDegraded(e, s, score.degraded(), value);
            return metrics;
        }
    }

    /**
     * Rescores a peer with no connection whose dials fail (see the class comment), or returns
     * {@code null} if it connected again since the pass began.
     */
    static PeerHealthMetrics scoreUnreachable(PoolEngine e, PeerSlot s, long now, Instant wallNow) {
        synchronized (s) {
            HealthScore last = s.lastScore;
            if (!s.conns.isEmpty() || s.dialFailures == 0 || last == null) {
                return null;
            }
            double avg = s.latency.ewmaMillis();
            long idle = Math.max(0L, now - s.lastUsedNanos);
            HealthScore score = new HealthScore(0.0, HealthScore.latencyScore(avg, e.config().latencyBudget()),
                    last.age(), HealthScore.usageScore(Duration.ofNanos(idle)), last.operations());
            double value = score.value();
            // Uptime restarted when its last connection closed; throughput is as last measured.
            PeerHealthMetrics previous = s.metrics;
            PeerHealthMetrics metrics = new PeerHealthMetrics(avg, s.lossRate(),
                    previous == null ? 0L : previous.throughputBps(), 0L, value, wallNow);
            s.metrics = metrics;
            markDegraded(e, s, true, value);
            return metrics;
        }
    }

    /** Records the peer's state and raises Degraded or Recovered on a crossing only (slot lock). */
    private static void markDegraded(PoolEngine e, PeerSlot s, boolean degraded, double value) {
        if (degraded && !s.degraded) {
            s.degraded = true;
            e.events().publish(new ConnectionEvent.Degraded(s.peerId, value));
        } else if (!degraded && s.degraded) {
            s.degraded = false;
            e.events().publish(new ConnectionEvent.Recovered(s.peerId));
        }
    }
}
