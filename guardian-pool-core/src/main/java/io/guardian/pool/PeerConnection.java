package io.guardian.pool;

import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;

/**
 * A lease on one pooled connection, held by one caller at a time. Use it with
 * try-with-resources: {@link #close()} returns the connection to the pool.
 *
 * <p>After {@code close()} (or {@link OptimizedConnectionPool#releaseConnection}) every method
 * except {@link #id()}, {@link #peerId()}, {@link #address()} and {@code close()} throws
 * {@link IllegalStateException}, even if the connection underneath has since been leased to
 * someone else: a stale lease can never touch another caller's traffic.
 *
 * <p>A lease whose {@code send}, {@code receive} or {@code request} failed with
 * {@link ConnectionClosedException} is never returned to the pool; its connection is closed
 * instead.
 */
public interface PeerConnection extends AutoCloseable {

    /**
     * The connection's id, the same one {@link OptimizedConnectionPool#getConnection} returns,
     * stable across leases of the same connection.
     *
     * @return the connection id
     */
    String id();

    /**
     * The peer at the other end, authenticated by the handshake.
     *
     * @return the peer
     */
    PeerId peerId();

    /**
     * The address that was dialed.
     *
     * @return the multiaddr
     */
    Multiaddr address();

    /**
     * Sends one message: on guardian-db one DATA frame, on libp2p one length-prefixed message on
     * this lease's stream (the stream is opened and its protocol proposed with the first message).
     * Counts as one operation of the connection.
     *
     * <p>It returns once the message is queued for writing, without waiting for it to leave: on
     * guardian-db it first waits while the connection's outbound buffer is full (the connection is
     * closed as gone if that lasts past the write-stall bound); on libp2p it first waits for this
     * lease's previous message to be written, so one message at most is in flight per lease. A
     * write that fails after {@code send} returned is reported by the lease's next
     * {@code send} or {@code receive}.
     *
     * @param message the payload, at most the protocol's maximum frame size
     * @throws ConnectionClosedException if the connection closed; the lease is then spent
     * @throws IllegalArgumentException if the message is {@code null} or too large
     * @throws IllegalStateException if this lease was already closed
     */
    void send(byte[] message);

    /**
     * Waits for the next DATA frame from the peer. A timeout here leaves the connection usable:
     * the caller decides (call {@link #markFailed} if a late message would confuse the next
     * holder).
     *
     * @param timeout how long to wait, positive
     * @return the payload
     * @throws ConnectionTimeoutException if nothing arrived in time (the connection stays usable)
     * @throws ConnectionClosedException if the connection closed; the lease is then spent
     * @throws IllegalStateException if this lease was already closed
     */
    byte[] receive(Duration timeout);

    /**
     * Sends a message and waits for the peer's reply, the next DATA frame. The round trip feeds
     * the connection's and the peer's latency averages.
     *
     * @param message the request payload
     * @param timeout how long to wait for the reply, positive
     * @return the reply payload
     * @throws ConnectionTimeoutException if the reply did not arrive in time; the connection is then
     *     closed when the lease ends instead of being reused, since a late reply would otherwise
     *     reach the next holder as the answer to their request (it also counts as a peer failure)
     * @throws ConnectionClosedException if the connection closed; the lease is then spent
     * @throws IllegalStateException if this lease was already closed
     */
    byte[] request(byte[] message, Duration timeout);

    /**
     * Ends the lease and closes the connection instead of returning it, and counts one failure
     * against the peer's circuit breaker. Use it when the peer misbehaved in a way the pool
     * cannot see (a wrong answer, an application-level error). Idempotent with {@link #close()}:
     * whichever comes first decides.
     *
     * @param cause what went wrong, for the log and the {@code Disconnected} event
     */
    void markFailed(Throwable cause);

    /**
     * Returns the connection to the pool (or closes it if it is no longer healthy). Idempotent:
     * closing again does nothing.
     */
    @Override
    void close();

    /**
     * The protocol this lease speaks: on {@link Transport#LIBP2P} the protocol id its stream
     * negotiated (the one passed to {@code acquire}, or {@code default-protocol}); on
     * {@link Transport#GUARDIAN}, which carries one protocol, {@code default-protocol}.
     *
     * @return the protocol id
     */
    String protocol();
}
