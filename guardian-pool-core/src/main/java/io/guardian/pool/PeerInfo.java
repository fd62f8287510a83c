package io.guardian.pool;

import io.guardian.pool.peer.Multiaddr;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What a libp2p peer said about itself in its latest identify answer, on a connection of the pool.
 *
 * @param agentVersion its agent, e.g. {@code go-libp2p/0.52.0}; empty if it sent none
 * @param protocolVersion its protocol family, e.g. {@code ipfs/0.1.0}; empty if it sent none
 * @param protocols the protocol ids it answers
 * @param listenAddresses the addresses it listens on, as it announced them (unverified)
 * @param observedAddress our address as the peer saw it, or {@code null}
 * @param receivedAt when the answer arrived
 */
public record PeerInfo(String agentVersion, String protocolVersion, List<String> protocols,
        List<Multiaddr> listenAddresses, Multiaddr observedAddress, Instant receivedAt) {

    /** Copies the lists; requires the strings and the time. */
    public PeerInfo {
        Objects.requireNonNull(agentVersion, "agentVersion");
        Objects.requireNonNull(protocolVersion, "protocolVersion");
        Objects.requireNonNull(receivedAt, "receivedAt");
        protocols = List.copyOf(protocols);
        listenAddresses = List.copyOf(listenAddresses);
    }
}
