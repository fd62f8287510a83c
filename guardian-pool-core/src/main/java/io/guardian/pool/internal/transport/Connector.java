package io.guardian.pool.internal.transport;

import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The dialing side of the guardian-db protocol. Not API. Implementations never block the calling
 * thread: name resolution, connect and handshake happen off it.
 */
public interface Connector extends AutoCloseable {

    /**
     * Connects to {@code address}, runs the configured handshake against {@code peer}, and
     * completes with a framed connection.
     *
     * <p>The future fails with {@link io.guardian.pool.HandshakeException} (with its reason),
     * {@link io.guardian.pool.ConnectionTimeoutException} (whole setup past {@code timeout}) or
     * {@link io.guardian.pool.ConnectionFailedException} (refused, unreachable, unresolvable, or
     * an address that is not dialable). Cancelling the future closes any socket it opened.
     *
     * @param peer the PeerId being dialed; a {@code /p2p/} suffix of the address must equal it
     * @param address a dialable multiaddr ({@code /ip4|ip6|dns|dns4|dns6/.../tcp/N[/p2p/id]})
     * @param timeout bound on connect plus handshake
     * @return the connection, once authenticated
     */
    CompletableFuture<FramedConnection> connect(PeerId peer, Multiaddr address, Duration timeout);

    /** Closes every connection this connector opened that is still open. Idempotent. */
    @Override
    void close();
}
