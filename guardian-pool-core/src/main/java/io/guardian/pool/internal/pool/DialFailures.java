package io.guardian.pool.internal.pool;

import io.guardian.pool.ConnectionClosedException;
import io.guardian.pool.ConnectionFailedException;
import io.guardian.pool.DialTimeoutException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.HandshakeException;
import io.guardian.pool.RequestTimeoutException;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;

/**
 * Maps the transport's own failures ({@link TransportException} and its {@link
 * TransportException.Kind}) to the pool's public exceptions. Not API. The transport knows nothing
 * of the pool (no package cycle); this is the one place that decides what a kind means to a caller.
 * Retryability follows the public type: a refused or timed-out dial may heal, a peer that fails
 * verification will fail again.
 */
final class DialFailures {

    private DialFailures() {
    }

    /**
     * A failed dial or handshake, as the caller of {@code acquire} sees it.
     *
     * @param e the transport's failure
     * @param peer the peer dialed
     * @param address the address dialed
     * @return the public exception, with {@code e} as its cause
     */
    static GuardianPoolException toPublic(TransportException e, PeerId peer, Multiaddr address) {
        String m = "dialing peer " + peer + " at " + address + " failed: " + e.getMessage();
        switch (e.kind()) {
            case TIMED_OUT:
                return new DialTimeoutException(m, e);
            case CLOSED_BY_PEER:
                return new HandshakeException(HandshakeException.Reason.CLOSED_BY_PEER, m, e);
            case PROTOCOL_VIOLATION:
                return new HandshakeException(HandshakeException.Reason.MALFORMED, m, e);
            case IDENTITY_MISMATCH:
                return new HandshakeException(HandshakeException.Reason.PEER_ID_MISMATCH, m, e);
            case BAD_SIGNATURE:
                return new HandshakeException(HandshakeException.Reason.BAD_SIGNATURE, m, e);
            case UNSUPPORTED_KEY:
            case PROTOCOL_REFUSED:
                return new HandshakeException(HandshakeException.Reason.PROTOCOL, m, e);
            case REFUSED:
            case RESET:
            case LIMIT_EXCEEDED:
            case CLOSED_LOCALLY:
            default:
                return new ConnectionFailedException(m, e);
        }
    }

    /**
     * A failure under a lease's {@code send} or {@code receive}.
     *
     * @param e the transport's failure
     * @param connectionId the connection it happened on
     * @return a {@link RequestTimeoutException} for a timeout, else a {@link ConnectionClosedException}
     */
    static GuardianPoolException onLease(TransportException e, String connectionId) {
        if (e.kind() == TransportException.Kind.TIMED_OUT) {
            return new RequestTimeoutException("connection " + connectionId + ": " + e.getMessage(), e);
        }
        return new ConnectionClosedException("connection " + connectionId + " failed: " + e.getMessage(), e);
    }
}
