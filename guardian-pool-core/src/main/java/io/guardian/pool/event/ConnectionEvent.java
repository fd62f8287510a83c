package io.guardian.pool.event;

import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Something that happened to a peer's connections or its circuit breaker. Sealed, so a
 * {@code switch} over the records can be exhaustive; delivered to
 * {@link ConnectionEventListener}s in the order the pool raised them, on the pool's event
 * thread.
 */
public sealed interface ConnectionEvent {

    /**
     * The peer the event is about.
     *
     * @return the peer
     */
    PeerId peerId();

    /**
     * A new connection completed its handshake.
     *
     * @param peerId the peer
     * @param latencyMs how long the handshake took: on guardian-db its round trip, the
     *     connection's first latency sample; on libp2p the whole upgrade (connect, multistream,
     *     Noise, muxer), while the first latency sample is one round trip inside Noise
     */
    record Connected(PeerId peerId, double latencyMs) implements ConnectionEvent {
        /** Requires the peer. */
        public Connected {
            Objects.requireNonNull(peerId, "peerId");
        }
    }

    /**
     * A connection closed: failed, evicted, reclaimed, closed by the peer or by shutdown.
     *
     * @param peerId the peer
     * @param reason which connection and why, for people reading logs
     */
    record Disconnected(PeerId peerId, String reason) implements ConnectionEvent {
        /** Requires the peer and a reason. */
        public Disconnected {
            Objects.requireNonNull(peerId, "peerId");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * The peer's health score fell below 0.5, or the peer became unreachable (no open connection
     * and failed dials since its last success). Raised once on the way down, not on every check.
     *
     * <p>Why unreachable counts on its own: connectivity weighs only 0.40, so a peer that was fast
     * until it died still sums to about 0.58 with connectivity 0; without this rule a dead peer
     * would never be reported.
     *
     * @param peerId the peer
     * @param healthScore the score computed when it crossed the line (0 to 1; may be 0.5 or more
     *     for an unreachable peer)
     */
    record Degraded(PeerId peerId, double healthScore) implements ConnectionEvent {
        /** Requires the peer. */
        public Degraded {
            Objects.requireNonNull(peerId, "peerId");
        }
    }

    /**
     * A degraded peer's health score is back at 0.5 or above. Raised once on the way up.
     *
     * @param peerId the peer
     */
    record Recovered(PeerId peerId) implements ConnectionEvent {
        /** Requires the peer. */
        public Recovered {
            Objects.requireNonNull(peerId, "peerId");
        }
    }

    /**
     * The peer's breaker opened (after consecutive failures, or after a failed probe): calls to
     * it are refused at once until its open timeout passes.
     *
     * @param peerId the peer
     */
    record CircuitBreakerOpen(PeerId peerId) implements ConnectionEvent {
        /** Requires the peer. */
        public CircuitBreakerOpen {
            Objects.requireNonNull(peerId, "peerId");
        }
    }

    /**
     * The peer's open timeout passed: one acquire at a time may now try it as the probe. Raised
     * when the pool next looks at the breaker after the timeout (an acquire, a breaker check or
     * a housekeeping pass), not at the instant it passes.
     *
     * @param peerId the peer
     */
    record CircuitBreakerHalfOpen(PeerId peerId) implements ConnectionEvent {
        /** Requires the peer. */
        public CircuitBreakerHalfOpen {
            Objects.requireNonNull(peerId, "peerId");
        }
    }

    /**
     * The peer's breaker closed after three consecutive successful probes (or a manual reset).
     *
     * @param peerId the peer
     */
    record CircuitBreakerClosed(PeerId peerId) implements ConnectionEvent {
        /** Requires the peer. */
        public CircuitBreakerClosed {
            Objects.requireNonNull(peerId, "peerId");
        }
    }

    /**
     * A lease has been held longer than {@code leak-detection-threshold}: probably a caller that
     * forgot to close it. Raised once per lease, by a check that runs every half threshold, so
     * between one and about one and a half thresholds after the acquire.
     *
     * @param peerId the peer
     * @param connectionId the leased connection
     * @param heldFor how long it had been held when the leak check saw it
     * @param acquireStack where it was acquired, innermost frame first
     */
    record ConnectionLeakSuspected(PeerId peerId, String connectionId, Duration heldFor,
            List<StackTraceElement> acquireStack) implements ConnectionEvent {
        /** Requires every part and copies the stack. */
        public ConnectionLeakSuspected {
            Objects.requireNonNull(peerId, "peerId");
            Objects.requireNonNull(connectionId, "connectionId");
            Objects.requireNonNull(heldFor, "heldFor");
            acquireStack = List.copyOf(acquireStack);
        }
    }
}
