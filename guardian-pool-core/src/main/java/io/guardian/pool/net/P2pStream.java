package io.guardian.pool.net;

import io.guardian.pool.peer.PeerId;
import java.time.Duration;

/**
 * One libp2p stream (a yamux stream on a Noise-secured TCP connection), already negotiated to a
 * protocol id. Handed to a {@link StreamHandler} on a {@link PeerListener}, and by the dialer API
 * to the side that opened it.
 *
 * <p>Bytes flow in both directions independently: {@link #closeWrite()} tells the remote we are
 * done sending (yamux FIN) while we may still read; {@link #reset()} aborts both directions. The
 * libp2p message convention, {@code uvarint(length) ‖ bytes}, is available as
 * {@link #writeMessage} and {@link #readMessage}.
 *
 * <p>Flow control reaches the caller: a write blocks while the remote's window is full (up to
 * the write timeout), and bytes are credited back to the remote only as the caller reads them, so
 * a slow reader slows the remote instead of growing our heap. Use a stream from one thread at a
 * time per direction (one reader, one writer); {@link #reset()} and {@link #close()} may be called
 * from any thread. Never call the blocking methods on a network thread.
 *
 * <p>Every failure is a {@link StreamException} whose {@link StreamException#reason()} says what
 * happened (timeout, reset by the remote, connection closed, protocol refused, …).
 */
public interface P2pStream extends AutoCloseable {

    /** @return the authenticated PeerId of the other side */
    PeerId remotePeer();

    /** @return the protocol id this stream was negotiated to */
    String protocol();

    /**
     * Writes raw bytes, blocking while the remote's receive window is full.
     *
     * @param bytes the bytes (copied; the array may be reused after the call)
     * @throws StreamException if the stream is reset or closed for writing, or the remote does not
     *     open its window within the write timeout (the stream is then reset)
     */
    void write(byte[] bytes);

    /**
     * Writes one message as {@code uvarint(length) ‖ message}.
     *
     * @param message the message
     * @throws StreamException as {@link #write}
     */
    void writeMessage(byte[] message);

    /**
     * Reads raw bytes: waits until at least one byte is there, the remote closes its side, or the
     * timeout passes.
     *
     * @param into destination
     * @param offset where to start writing in it
     * @param length the most bytes to read
     * @param timeout how long to wait
     * @return the number of bytes read, or -1 when the remote closed its side and all was read
     * @throws StreamException on reset, broken connection or timeout (the stream stays usable
     *     after a timeout)
     */
    int read(byte[] into, int offset, int length, Duration timeout);

    /**
     * Reads one {@code uvarint(length) ‖ message}.
     *
     * @param maxLength the largest message accepted; a longer one resets the stream
     * @param timeout how long to wait for the whole message
     * @return the message, or {@code null} if the remote closed its side before a new message began
     * @throws StreamException on reset, broken connection, timeout, a message over
     *     {@code maxLength} or a stream that ends inside a message
     */
    byte[] readMessage(int maxLength, Duration timeout);

    /** Closes our sending side (yamux FIN, sent in a frame of its own). Idempotent. */
    void closeWrite();

    /** Aborts the stream in both directions (yamux RST). Idempotent. */
    void reset();

    /**
     * Closes our sending side and stops reading: data the remote still sends is discarded. A
     * stream whose remote never closes its side is reset after a short linger. Idempotent.
     */
    @Override
    void close();

    /** @return whether neither side has reset the stream and the connection is up */
    boolean isOpen();
}
