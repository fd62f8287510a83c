package io.guardian.pool;

import io.guardian.pool.peer.PeerId;

/**
 * The peer's circuit breaker refuses the call: it is open (recent calls to it failed, so the pool
 * refuses at once instead of waiting on a peer that is likely down), or half-open with its one
 * probe still under way. An open breaker lets one probe through after its open timeout
 * ({@code circuit-breaker.open-timeout}); a half-open one lets the next through once the
 * current probe's lease is closed.
 */
public class CircuitBreakerOpenException extends GuardianPoolException {

    private static final long serialVersionUID = 1L;

    private final transient PeerId peerId;

    /**
     * @param peerId the peer whose breaker is open
     * @param message when the breaker opened and when it will next let a probe through
     */
    public CircuitBreakerOpenException(PeerId peerId, String message) {
        super(message);
        this.peerId = peerId;
    }

    /**
     * @return the peer whose breaker rejected the call
     */
    public PeerId peerId() {
        return peerId;
    }

    /** Open breakers close on their own after a wait, so a later retry may succeed. */
    @Override
    public boolean retryable() {
        return true;
    }
}
