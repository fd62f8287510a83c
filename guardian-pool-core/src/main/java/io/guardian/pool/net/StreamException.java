package io.guardian.pool.net;

import io.guardian.pool.GuardianPoolException;
import java.util.Objects;

/** A libp2p stream operation failed. {@link #reason()} says how; the message names the peer and the protocol. */
public class StreamException extends GuardianPoolException {

    private static final long serialVersionUID = 1L;

    /** How a stream operation failed. */
    public enum Reason {
        /** The wait passed its deadline. */
        TIMED_OUT,
        /** The remote reset the stream, or refused to open it. */
        RESET,
        /** The remote closed the connection, or this side closed the stream or the connection. */
        CLOSED,
        /** The remote answered {@code na}: it does not speak the protocol asked for. */
        PROTOCOL_REFUSED,
        /** The remote broke the protocol (a malformed or oversized message, a window overrun). */
        PROTOCOL_VIOLATION,
        /** A local bound was reached (too many streams, a message over the allowed size). */
        LIMIT_EXCEEDED,
        /** The calling thread was interrupted; the stream was reset. */
        INTERRUPTED
    }

    private final Reason reason;

    /**
     * @param reason how it failed
     * @param message the peer, the protocol, the detail
     * @param cause the underlying failure, or {@code null}
     */
    public StreamException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** @return how the operation failed */
    public Reason reason() {
        return reason;
    }

    /** A timeout, a reset or a lost connection may not happen again on a new stream. */
    @Override
    public boolean retryable() {
        return reason == Reason.TIMED_OUT || reason == Reason.RESET || reason == Reason.CLOSED;
    }
}
