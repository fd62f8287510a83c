package io.guardian.pool.internal.transport;

import java.util.Objects;

/**
 * A failure of a wire stack (guardian-db or libp2p), typed by what went wrong rather than by what
 * the pool makes of it. Not API: the transport knows nothing of the pool, so it never throws the
 * pool's public exceptions; the engine maps a {@link Kind} to a public exception and to a breaker
 * outcome.
 */
public final class TransportException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What went wrong, as seen by the transport. */
    public enum Kind {
        /** The remote refused the TCP connection or is unreachable (nothing listens, no route, no such host). */
        REFUSED,
        /** A deadline passed: connect, handshake, a read or a write that the remote did not take in time. */
        TIMED_OUT,
        /** The remote closed the connection or the stream, or sent GoAway, before the work was done. */
        CLOSED_BY_PEER,
        /** The remote aborted a stream (yamux RST) or refused to open it. */
        RESET,
        /** The remote broke the wire protocol: malformed or oversized message, bad MAC, window overrun. */
        PROTOCOL_VIOLATION,
        /** The remote proved an identity other than the one dialed (or ours, when it dials us). */
        IDENTITY_MISMATCH,
        /** The remote's signature over its handshake does not verify, or its key is unusable (small order, non-canonical). */
        BAD_SIGNATURE,
        /** The remote presented a key type this side cannot verify (the message names it). */
        UNSUPPORTED_KEY,
        /** The remote answered {@code na}: it does not speak the protocol or muxer asked for (the message names it). */
        PROTOCOL_REFUSED,
        /** A local bound was reached: too many streams, buffers full, a frame larger than allowed. */
        LIMIT_EXCEEDED,
        /** This side closed the connection or stream (shutdown, an earlier failure) before the work was done. */
        CLOSED_LOCALLY
    }

    private final Kind kind;

    /**
     * @param kind what went wrong
     * @param message the peer, the address, the detail
     */
    public TransportException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /**
     * @param kind what went wrong
     * @param message the peer, the address, the detail
     * @param cause the underlying failure
     */
    public TransportException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /** @return what went wrong, never {@code null} */
    public Kind kind() {
        return kind;
    }

    /**
     * Whether the same work may succeed on another try: timeouts, refused connects and remote closes
     * are churn; a peer that fails verification or refuses a protocol will do so again.
     *
     * @return {@code true} for {@link Kind#REFUSED}, {@link Kind#TIMED_OUT}, {@link Kind#CLOSED_BY_PEER}
     *     and {@link Kind#RESET}
     */
    public boolean retryable() {
        return kind == Kind.REFUSED || kind == Kind.TIMED_OUT || kind == Kind.CLOSED_BY_PEER || kind == Kind.RESET;
    }
}
