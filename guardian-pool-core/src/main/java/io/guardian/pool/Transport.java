package io.guardian.pool;

/**
 * The wire stack a pool dials with ({@code guardian.pool.transport}). One {@code PeerListener}
 * answers both on the same port.
 */
public enum Transport {
    /**
     * libp2p over TCP: multistream-select, Noise XX, yamux, identify and ping. A lease is one yamux
     * stream, negotiated to a protocol id, on a connection shared by up to
     * {@code max-streams-per-connection} leases. Talks to go-, rust-, js- and nim-libp2p nodes.
     */
    LIBP2P,
    /**
     * The original guardian-db protocol (1.1 signed handshake, or 1.0 for GuardianDB's Rust dialer,
     * per {@link io.guardian.pool.net.ProtocolConfig}). A lease is the whole connection.
     */
    GUARDIAN
}
