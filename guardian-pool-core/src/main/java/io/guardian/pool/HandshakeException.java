package io.guardian.pool;

import java.util.Objects;

/**
 * The guardian-db handshake failed. {@link #reason()} says which rule of the protocol failed; the
 * message names the peer and the address.
 */
public class HandshakeException extends GuardianPoolException {

    private static final long serialVersionUID = 1L;

    /** Which handshake rule failed (PROTOCOL.md, sections 2 and 3). */
    public enum Reason {
        /** The other side spoke a protocol or version this side does not accept. */
        PROTOCOL,
        /** The PeerId presented is not the one dialed (or, listening, not our own). */
        PEER_ID_MISMATCH,
        /** A signature over the transcript did not verify. */
        BAD_SIGNATURE,
        /** The timestamp is further from our clock than {@code max-clock-skew}. */
        CLOCK_SKEW,
        /** A message was truncated, too long, or otherwise not well formed. */
        MALFORMED,
        /** The other side did not answer within the deadline. */
        TIMEOUT,
        /** The other side closed the connection before the handshake completed. */
        CLOSED_BY_PEER,
        /** The dialer's PeerId is not on the listener's allow-list. */
        NOT_ALLOWED
    }

    private final Reason reason;

    /**
     * @param reason which rule failed
     * @param message the peer, the address and the detail
     */
    public HandshakeException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /**
     * @param reason which rule failed
     * @param message the peer, the address and the detail
     * @param cause the underlying failure
     */
    public HandshakeException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /**
     * Which rule of the handshake failed.
     *
     * @return the reason, never {@code null}
     */
    public Reason reason() {
        return reason;
    }

    /** A stalled or closed handshake may succeed later; a peer that fails verification will not. */
    @Override
    public boolean retryable() {
        return reason == Reason.TIMEOUT || reason == Reason.CLOSED_BY_PEER;
    }
}
