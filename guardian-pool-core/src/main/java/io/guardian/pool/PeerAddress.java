package io.guardian.pool;

import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.util.Objects;

/**
 * A peer and an address to dial it at: one candidate for
 * {@link OptimizedConnectionPool#acquireAny(java.util.List)}.
 *
 * @param peerId the peer; a {@code /p2p/} suffix of the address must name the same peer
 * @param address a dialable multiaddr of the peer
 */
public record PeerAddress(PeerId peerId, Multiaddr address) {

    /** Rejects missing parts early, so the error names the candidate and not a later dial. */
    public PeerAddress {
        Objects.requireNonNull(peerId, "peerId must not be null");
        Objects.requireNonNull(address, "address must not be null");
    }
}
