package io.guardian.pool.internal.transport;

import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The dialing side of the guardian-db protocol. Not API. Implementations never block the calling
 * thread: name resolution, connect and handshake happen off it.
 */
public interface Connector extends TransportDialer {

    /**
     * Connects to {@code address}, runs the configured handshake against {@code peer}, and
     * completes with a framed connection.
     *
     * <p>The future fails with a {@link TransportException} whose message names the peer, the
     * address and the setting to change, and whose {@link TransportException.Kind} says what went
     * wrong: {@code REFUSED} (refused, unreachable, unresolvable, or an address that is not
     * dialable for this peer), {@code TIMED_OUT} (the TCP connect, or the whole setup past
     * {@code timeout}), {@code HANDSHAKE_TIMED_OUT} (the listener went quiet within the handshake),
     * {@code CLOSED_BY_PEER}, a broken handshake rule ({@code PROTOCOL_REFUSED},
     * {@code UNSUPPORTED_KEY}, {@code IDENTITY_MISMATCH}, {@code BAD_SIGNATURE}, {@code CLOCK_SKEW},
     * {@code PROTOCOL_VIOLATION}), or a local cause ({@code LIMIT_EXCEEDED}, {@code CLOSED_LOCALLY}).
     * The pool maps these to its public exceptions. Cancelling the future closes any socket it
     * opened.
     *
     * @param peer the PeerId being dialed; a {@code /p2p/} suffix of the address must equal it
     * @param address a dialable multiaddr ({@code /ip4|ip6|dns|dns4|dns6/.../tcp/N[/p2p/id]})
     * @param timeout bound on connect plus handshake
     * @return the connection, once authenticated
     */
    @Override
    CompletableFuture<FramedConnection> connect(PeerId peer, Multiaddr address, Duration timeout);
}
