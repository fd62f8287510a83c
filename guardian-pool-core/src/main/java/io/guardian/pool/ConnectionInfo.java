package io.guardian.pool;

import io.guardian.pool.peer.Multiaddr;
import java.time.Instant;

/**
 * A point-in-time view of one connection, with the original's fields. Every value is measured
 * or derived from measurements: none is a constant (the original hard-coded bandwidth and
 * priority).
 *
 * @param connectionId the id {@link OptimizedConnectionPool#getConnection} returns for it
 * @param peerAddress the multiaddr that was dialed
 * @param connectedAt when the handshake completed (wall clock)
 * @param lastUsed when it was last leased or returned (wall clock)
 * @param operationsCount messages sent on it ({@code send} and {@code request} calls)
 * @param avgLatencyMs moving average of its round trips: handshake, PINGs and requests
 * @param status its state, derived from its socket, its peer's score and its peer's breaker
 * @param priority 0 to 10: its own health score (the original weighted formula) times ten,
 *     rounded
 * @param bandwidthBps bytes it moved while leased divided by the time it was leased; zero until
 *     a lease moved data
 */
public record ConnectionInfo(
        String connectionId,
        Multiaddr peerAddress,
        Instant connectedAt,
        Instant lastUsed,
        long operationsCount,
        double avgLatencyMs,
        ConnectionStatus status,
        int priority,
        long bandwidthBps) {
}
