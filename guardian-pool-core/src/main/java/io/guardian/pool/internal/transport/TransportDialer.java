package io.guardian.pool.internal.transport;

import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * What the pool dials with, whatever the wire stack: the guardian-db {@link Connector} or the
 * libp2p one. Not API. Implementations never block the calling thread.
 */
public interface TransportDialer extends AutoCloseable {

    /**
     * Connects to {@code address}, authenticates {@code peer} and completes with the connection.
     * Fails with a {@link TransportException} naming the peer, the address and what to change.
     * Cancelling the future closes any socket it opened.
     *
     * @param peer the PeerId being dialed; a {@code /p2p/} suffix of the address must equal it
     * @param address a dialable multiaddr
     * @param timeout bound on connect plus handshake
     * @return the connection, once authenticated
     */
    CompletableFuture<? extends PooledTransport> connect(PeerId peer, Multiaddr address, Duration timeout);

    /** Closes every connection this dialer opened that is still open. Idempotent. */
    @Override
    void close();
}
