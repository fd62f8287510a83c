package io.guardian.pool.health;

import java.time.Instant;

/**
 * What the health monitor measured for one peer in its last pass, with the original's fields.
 * Nothing here is a constant standing in for a measurement (the original reported a fixed 2 %
 * packet loss).
 *
 * @param currentLatencyMs moving average of the peer's round trips (handshakes, PINGs, requests;
 *     a PING lost on an open connection counts as {@code ping-timeout}, the least it took)
 * @param packetLossRate share of the peer's recent PINGs (up to the last 64) that got no PONG in
 *     time, 0 to 1
 * @param throughputBps bytes moved on the peer's connections while leased, per second leased,
 *     since its uptime began
 * @param uptimeSecs seconds since the peer's current run of connections began (it resets when
 *     the peer has had no open connection)
 * @param healthScore the original weighted score, 0 to 1 (see {@link HealthScore})
 * @param lastMeasured when the pass that produced these values ran (wall clock)
 */
public record PeerHealthMetrics(
        double currentLatencyMs,
        double packetLossRate,
        long throughputBps,
        long uptimeSecs,
        double healthScore,
        Instant lastMeasured) {
}
