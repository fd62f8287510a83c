package io.guardian.pool;

import io.guardian.pool.peer.PeerId;

/**
 * The peer answered that it does not speak the protocol a lease asked for (multistream-select's
 * {@code na}). Not the peer failing: its breaker is not charged and its connection stays pooled
 * for other protocols; acquires of this protocol from this peer fail at once with this exception
 * for {@code circuit-breaker.open-timeout}, then the protocol is asked for again.
 */
public class ProtocolNotSupportedException extends GuardianPoolException {

    private static final long serialVersionUID = 1L;

    private final transient PeerId peerId;
    private final String protocol;

    /**
     * @param peerId the peer that refused
     * @param protocol the protocol id it refused
     * @param message what happened and what to change
     * @param cause the transport's report, or {@code null}
     */
    public ProtocolNotSupportedException(PeerId peerId, String protocol, String message, Throwable cause) {
        super(message, cause);
        this.peerId = peerId;
        this.protocol = protocol;
    }

    /** @return the peer that refused */
    public PeerId peerId() {
        return peerId;
    }

    /** @return the refused protocol id */
    public String protocol() {
        return protocol;
    }
}
