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
 *
 * <p>Messages: a transport message that already names the peer (guardian-db's all do: the peer,
 * the address, the setting to change) reaches the caller as it is, so users see the same text
 * whichever layer typed the failure; one that does not (a libp2p stream's detail) gets the peer
 * and the address, or the connection, in front.
 */
final class DialFailures {

    private DialFailures() {
    }

    /**
     * A failed dial or handshake, as the caller of {@code acquire} sees it.
     *
     * <ul>
     * <li>{@code TIMED_OUT}: {@link DialTimeoutException} (the TCP connect or the whole setup);
     * <li>{@code HANDSHAKE_TIMED_OUT}, {@code CLOSED_BY_PEER}, {@code CLOCK_SKEW},
     * {@code PROTOCOL_VIOLATION}, {@code IDENTITY_MISMATCH}, {@code BAD_SIGNATURE},
     * {@code UNSUPPORTED_KEY}, {@code PROTOCOL_REFUSED}: {@link HandshakeException} with the
     * reason {@code TIMEOUT}, {@code CLOSED_BY_PEER}, {@code CLOCK_SKEW}, {@code MALFORMED},
     * {@code PEER_ID_MISMATCH}, {@code BAD_SIGNATURE}, {@code PROTOCOL}, {@code PROTOCOL};
     * <li>{@code REFUSED}, {@code RESET}, {@code LIMIT_EXCEEDED}, {@code CLOSED_LOCALLY}:
     * {@link ConnectionFailedException}.
     * </ul>
     *
     * @param e the transport's failure
     * @param peer the peer dialed
     * @param address the address dialed
     * @return the public exception, with {@code e} as its cause
     */
    static GuardianPoolException toPublic(TransportException e, PeerId peer, Multiaddr address) {
        String m = namesPeer(e, peer) ? e.getMessage()
                : "dialing peer " + peer + " at " + address + " failed: " + e.getMessage();
        switch (e.kind()) {
            case TIMED_OUT:
                return new DialTimeoutException(m, e);
            case HANDSHAKE_TIMED_OUT:
                return new HandshakeException(HandshakeException.Reason.TIMEOUT, m, e);
            case CLOSED_BY_PEER:
                return new HandshakeException(HandshakeException.Reason.CLOSED_BY_PEER, m, e);
            case CLOCK_SKEW:
                return new HandshakeException(HandshakeException.Reason.CLOCK_SKEW, m, e);
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
     * A failure under a lease's {@code send} or {@code receive} (the lease decides first what an
     * interrupt or a receive's timeout means).
     *
     * @param e the transport's failure
     * @param peer the peer of the connection
     * @param connectionId the connection it happened on
     * @return a {@link RequestTimeoutException} for a timeout, else a {@link ConnectionClosedException}
     */
    static GuardianPoolException onLease(TransportException e, PeerId peer, String connectionId) {
        boolean named = namesPeer(e, peer);
        if (e.kind() == TransportException.Kind.TIMED_OUT) {
            return new RequestTimeoutException(named ? e.getMessage()
                    : "connection " + connectionId + " to peer " + peer + ": " + e.getMessage(), e);
        }
        return new ConnectionClosedException(named ? e.getMessage()
                : "connection " + connectionId + " to peer " + peer + " failed: " + e.getMessage(), e);
    }

    private static boolean namesPeer(TransportException e, PeerId peer) {
        String message = e.getMessage();
        return message != null && message.contains(peer.toString());
    }
}
