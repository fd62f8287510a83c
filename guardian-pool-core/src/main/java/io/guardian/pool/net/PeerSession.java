package io.guardian.pool.net;

import io.guardian.pool.peer.PeerId;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Optional;

/**
 * A read-only view of one established inbound connection of a {@link PeerListener}, for
 * dashboards and for closing a misbehaving dialer. Counters are live.
 */
public interface PeerSession {

    /**
     * The dialer's PeerId, proven by its signature in guardian-db/1.1.
     *
     * @return the PeerId, or empty for a guardian-db/1.0 session (1.0 dialers are anonymous)
     */
    Optional<PeerId> remotePeer();

    /** @return the dialer's socket address */
    InetSocketAddress remoteAddress();

    /** @return the handshake this session completed */
    ProtocolVersion protocolVersion();

    /** @return when the handshake completed, by the listener's clock */
    Instant openedAt();

    /** @return DATA payload bytes received from the dialer so far */
    long bytesReceived();

    /** @return DATA payload bytes sent to the dialer (replies) so far */
    long bytesSent();

    /** @return whether the connection is still open and not closing */
    boolean isOpen();

    /** Sends CLOSE (best effort) and closes the connection. Idempotent. */
    void close();
}
