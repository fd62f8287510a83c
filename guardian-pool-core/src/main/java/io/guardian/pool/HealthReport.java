package io.guardian.pool;

import io.guardian.pool.health.PeerHealthMetrics;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * What one health pass did: how many idle connections it pinged, how many PINGs went
 * unanswered, how many connections it closed as failed or evicted, which leases it reported as
 * leaks, and the score of every peer it measured.
 *
 * @param startedAt when the pass began (wall clock)
 * @param took how long it ran, including waiting for PONGs (at most about {@code ping-timeout})
 * @param pinged idle connections pinged
 * @param lost PINGs that got no PONG within {@code ping-timeout}
 * @param failed connections closed as dead (closed socket, or two or more PONGs lost in a row)
 * @param evicted connections closed for idle time or age ({@code idle-timeout},
 *     {@code max-lifetime})
 * @param leaksSuspected leases reported as leaks in this pass
 * @param peers each measured peer's metrics, the score included
 */
public record HealthReport(
        Instant startedAt,
        Duration took,
        int pinged,
        int lost,
        int failed,
        int evicted,
        int leaksSuspected,
        Map<PeerId, PeerHealthMetrics> peers) {

    /** Requires the times and copies the map. */
    public HealthReport {
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(took, "took");
        peers = Map.copyOf(peers);
    }
}
