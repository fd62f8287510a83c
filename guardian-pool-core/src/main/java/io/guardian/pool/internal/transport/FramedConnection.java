package io.guardian.pool.internal.transport;

import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One authenticated, framed TCP connection after a completed handshake (PROTOCOL.md section 4).
 * Not API: the pool wraps it in a lease.
 *
 * <p>Threading contract: at most one thread at a time calls {@link #send} and {@link #receive}
 * (the lease holder). {@link #ping}, {@link #isOpen}, {@link #close} and the counters may be
 * called from any thread at any time. PINGs from the peer are answered on the event loop whatever
 * the caller is doing.
 *
 * <p>Failures are {@link TransportException}s (never the pool's public exceptions: the transport
 * knows nothing of the pool); their messages name the peer and the address, and the pool maps their
 * {@link TransportException.Kind} to what a lease's caller sees.
 */
public interface FramedConnection extends PooledTransport, MessageChannel {

    /** @return the peer this connection authenticated (or, for 1.0, claimed) */
    PeerId remotePeer();

    /** @return the address that was dialed */
    Multiaddr remoteAddress();

    /** @return the handshake's round trip in nanoseconds: the connection's first latency sample */
    long handshakeRttNanos();

    /** @return whether the socket is open and no protocol error or CLOSE has been seen */
    boolean isOpen();

    /**
     * Sends one DATA frame.
     *
     * @param payload the message, at most the configured maximum frame size
     * @throws TransportException if the connection is closed (the kind of what closed it), the
     *     peer stopped reading ({@link TransportException.Kind#LIMIT_EXCEEDED}, the connection is then
     *     closed) or the wait for it was interrupted ({@link TransportException.Kind#CLOSED_LOCALLY},
     *     with the interrupt flag set again)
     * @throws IllegalArgumentException if the payload is larger than the maximum frame size
     */
    void send(byte[] payload);

    /**
     * Waits for the next DATA frame from the peer.
     *
     * @param timeout how long to wait
     * @return the payload
     * @throws TransportException {@link TransportException.Kind#TIMED_OUT} if none arrives in time
     *     (the connection stays open; the caller decides); {@link TransportException.Kind#CLOSED_LOCALLY}
     *     with the interrupt flag set again if the wait was interrupted; else the kind of what
     *     closed the connection ({@link TransportException.Kind#CLOSED_BY_PEER},
     *     {@link TransportException.Kind#PROTOCOL_VIOLATION}, {@link TransportException.Kind#CLOSED_LOCALLY})
     *     if it closed before a frame arrived
     */
    byte[] receive(Duration timeout);

    /**
     * Sends a PING with fresh 8 random bytes and completes with the round trip when the matching
     * PONG arrives. Never blocks.
     *
     * @param timeout when to give up; the future then completes exceptionally with
     *     {@link TransportException} of kind {@link TransportException.Kind#TIMED_OUT} (and of the
     *     close's kind if the connection closes first)
     * @return the round trip in nanoseconds
     */
    CompletableFuture<Long> ping(Duration timeout);

    /**
     * Sends CLOSE with the reason (best effort) and closes the socket. Idempotent.
     *
     * @param reason a short UTF-8 reason for the peer's logs
     */
    void close(String reason);

    /**
     * Whether DATA frames arrived that no {@link #receive} has taken. The pool never lends out a
     * connection for which this is true: in a request/reply exchange such a frame is either a reply
     * its caller did not wait for or something the peer sent unasked, and the next holder's
     * {@code request} would take it as its own answer.
     *
     * @return {@code true} if unread DATA is queued
     */
    boolean hasUnreadData();

    /**
     * Whether the pool may lend the connection out again: open, and no unread DATA. The pool asks
     * this on every acquire and release, so an implementation should answer from its own fields
     * without touching the socket's objects: with thousands of idle connections each extra object
     * visited is a likely cache miss on the acquire path.
     *
     * @return {@code true} if open with nothing unread
     */
    @Override
    default boolean reusable() {
        return isOpen() && !hasUnreadData();
    }

    /** @return completes (normally) once the socket is closed, whoever closed it */
    @Override
    CompletableFuture<Void> closeFuture();

    /** The whole connection is the one allocation's channel: guardian-db has one protocol. */
    @Override
    default MessageChannel channel(String protocol) {
        return this;
    }

    /** @return DATA payload bytes moved so far, both directions */
    @Override
    default long bytesMoved() {
        return bytesSent() + bytesReceived();
    }

    /** @return why the connection closed, or {@code null} while it is open */
    String closeReason();

    /** @return payload bytes sent in DATA frames so far */
    long bytesSent();

    /** @return payload bytes received in DATA frames so far */
    long bytesReceived();
}
