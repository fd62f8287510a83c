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
        /**
         * The remote refused the TCP connection or is unreachable (nothing listens, no route, no such
         * host), or the address cannot be dialed as given (not a TCP address, port 0, a {@code /p2p/}
         * suffix naming another peer). Nothing reached the peer.
         */
        REFUSED,
        /**
         * A deadline passed: the TCP connect, the whole connect-plus-handshake, a read or a write that
         * the remote did not take in time.
         */
        TIMED_OUT,
        /**
         * The remote accepted the connection but did not send its next handshake message within the
         * handshake's own read deadline (guardian-db's {@code handshake-timeout}). Kept apart from
         * {@link #TIMED_OUT}: the pool reports a stalled handshake as a handshake failure, a connect
         * that never completes as a dial timeout.
         */
        HANDSHAKE_TIMED_OUT,
        /** The remote's handshake timestamp is further from our clock than {@code max-clock-skew}. */
        CLOCK_SKEW,
        /** The remote closed the connection or the stream, or sent GoAway, before the work was done. */
        CLOSED_BY_PEER,
        /** The remote aborted a stream (yamux RST) or refused to open it. */
        RESET,
        /** The remote broke the wire protocol: malformed or oversized message, bad MAC, window overrun. */
        PROTOCOL_VIOLATION,
        /**
         * The remote proved an identity other than the one dialed (or ours, when it dials us), or,
         * listening, one this side does not accept (not on the allow-list).
         */
        IDENTITY_MISMATCH,
        /** The remote's signature over its handshake does not verify, or its key is unusable (small order, non-canonical). */
        BAD_SIGNATURE,
        /** The remote presented a key type this side cannot verify (the message names it). */
        UNSUPPORTED_KEY,
        /**
         * The remote answered {@code na}, or answered with another protocol or version than the one
         * offered: it does not speak what was asked for (the message names both).
         */
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
     * @return {@code true} for {@link Kind#REFUSED}, {@link Kind#TIMED_OUT}, {@link Kind#HANDSHAKE_TIMED_OUT},
     *     {@link Kind#CLOSED_BY_PEER} and {@link Kind#RESET}
     */
    public boolean retryable() {
        return kind == Kind.REFUSED || kind == Kind.TIMED_OUT || kind == Kind.HANDSHAKE_TIMED_OUT
                || kind == Kind.CLOSED_BY_PEER || kind == Kind.RESET;
    }
}
