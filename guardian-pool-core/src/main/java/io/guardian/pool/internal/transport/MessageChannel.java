package io.guardian.pool.internal.transport;

import java.time.Duration;

/**
 * What one allocation of a {@link PooledTransport} exchanges messages on: the whole guardian-db
 * connection, or one libp2p stream carrying uvarint-length-prefixed messages. Not API.
 *
 * <p>One user at a time. Failures are {@link TransportException}s; a receive that times out
 * throws {@link TransportException.Kind#TIMED_OUT} and leaves the channel usable.
 */
public interface MessageChannel {

    /**
     * Sends one message.
     *
     * @param message the message, at most the configured maximum size
     */
    void send(byte[] message);

    /**
     * Waits for the next message.
     *
     * @param timeout how long to wait
     * @return the message
     */
    byte[] receive(Duration timeout);

    /**
     * Whether this channel is the connection itself (guardian-db), so that its traffic counters
     * are the connection's and what it leaves unread reaches the next holder.
     *
     * @return {@code true} for the connection, {@code false} for a stream of its own
     */
    default boolean wholeConnection() {
        return true;
    }

    /** @return payload bytes this channel moved, both directions (a stream's own; the connection's for guardian-db) */
    default long bytesMoved() {
        return 0L;
    }

    /**
     * Ends the allocation's use of the channel: nothing for the whole connection; for a stream,
     * an orderly close when {@code clean}, else a reset; a stream of a reusable protocol
     * ({@code reusable-stream-protocols}) that is clean by its own account too stays open for the
     * next allocation instead. Never blocks. Idempotent.
     *
     * @param clean whether the exchange ended in order
     */
    default void end(boolean clean) {
    }

    /**
     * Whether the remote refused this stream before accepting it (reset before its ACK): the
     * connection carries fewer streams than we asked for.
     *
     * @return {@code true} only for a stream the remote never accepted
     */
    default boolean refusedUnaccepted() {
        return false;
    }
}
