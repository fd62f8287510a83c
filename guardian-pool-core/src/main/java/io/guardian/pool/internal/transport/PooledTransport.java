package io.guardian.pool.internal.transport;

import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One authenticated connection as the pool keeps it, whatever the wire stack: a guardian-db
 * framed connection (one exchange at a time) or a libp2p connection (many yamux streams). Not API.
 *
 * <p>The pool lends out <em>allocations</em> of a connection: up to {@link #allocationLimit()} at
 * once, each with its own {@link MessageChannel} from {@link #channel(String)}. The transport knows
 * nothing of the pool; its failures are {@link TransportException}s.
 *
 * <p>Every method may be called from any thread, except that each channel has one user at a time.
 */
public interface PooledTransport {

    /** @return the peer this connection authenticated (or, for guardian-db 1.0, claimed) */
    PeerId remotePeer();

    /** @return the address that was dialed, or the remote's address for a connection it dialed to us */
    Multiaddr remoteAddress();

    /**
     * @return the handshake's round trip in nanoseconds, the connection's first latency sample; 0
     *     or less when the handshake measured none (the pool then measures one with {@link #ping})
     */
    long handshakeRttNanos();

    /** @return how long the handshake took, in nanoseconds, for the Connected event */
    default long setupNanos() {
        return handshakeRttNanos();
    }

    /** @return whether the connection is open and no protocol error or close has been seen */
    boolean isOpen();

    /**
     * Whether the pool may lend the connection out again. Answered from the connection's own fields:
     * the pool asks on every acquire and release.
     *
     * @return {@code true} if a new allocation may use it
     */
    boolean reusable();

    /**
     * Measures a round trip (a PING frame, a yamux Ping). Never blocks.
     *
     * @param timeout when to give up: the future then fails with {@link TransportException.Kind#TIMED_OUT}
     * @return the round trip in nanoseconds
     */
    CompletableFuture<Long> ping(Duration timeout);

    /**
     * Closes the connection (best effort goodbye first). Idempotent.
     *
     * @param reason a short reason, for the peer's logs where the wire carries one
     */
    void close(String reason);

    /** @return completes (normally) once the socket is closed, whoever closed it */
    CompletableFuture<Void> closeFuture();

    /** @return why the connection closed, or {@code null} while it is open */
    String closeReason();

    /**
     * Whether it closed because the remote ended it in order (a close frame, a GoAway, a FIN at a
     * frame boundary): churn, which the pool never charges to the peer's breaker.
     *
     * @return {@code true} if the remote closed it cleanly
     */
    default boolean closedByRemote() {
        return false;
    }

    /** @return payload bytes sent so far, all allocations together */
    long bytesSent();

    /** @return payload bytes received so far, all allocations together */
    long bytesReceived();

    /**
     * How many allocations the connection carries at once: 1 for guardian-db, the stream limit for
     * libp2p. The pool may lower its own count for a connection below this (streams refused).
     *
     * @return at least 1
     */
    default int allocationLimit() {
        return 1;
    }

    /** @return whether allocations are independent streams (libp2p) rather than the whole connection */
    default boolean multiplexed() {
        return allocationLimit() > 1;
    }

    /**
     * The channel one allocation exchanges messages on: the connection itself for guardian-db, a
     * new stream negotiated to {@code protocol} for libp2p (or, for a reusable protocol, a stream
     * an earlier allocation left open and clean). Opening a stream sends nothing until its first
     * write (0-RTT select), so this never blocks.
     *
     * @param protocol the protocol id (ignored by guardian-db, which has one)
     * @return the channel
     * @throws TransportException if no allocation can be opened now (closed, stream limit)
     */
    MessageChannel channel(String protocol);

    /** @return whether we dialed it (false: the remote dialed our listener) */
    default boolean initiator() {
        return true;
    }
}
