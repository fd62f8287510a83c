package io.guardian.pool.net;

import io.guardian.pool.peer.PeerId;

/**
 * The application side of a {@link PeerListener}: called once per DATA frame a dialer sends.
 *
 * <p>Calls for one connection are made one at a time and in arrival order, on the listener's
 * handler executor (never on a network thread), so a slow handler delays only its own
 * connection's next message; PINGs are still answered meanwhile. Calls for different connections
 * may run concurrently, so a handler shared across connections must be thread-safe.
 */
@FunctionalInterface
public interface MessageHandler {

    /**
     * Handles one message.
     *
     * @param from the dialer's authenticated PeerId, or {@code null} for a guardian-db/1.0 session,
     *     whose dialer never identifies itself
     * @param message the DATA frame's payload
     * @return the reply, sent back as the next DATA frame, or {@code null} to send nothing. A
     *     reply larger than the maximum frame size, or an exception, closes the connection (with a
     *     CLOSE frame), so that the dialer fails fast instead of waiting for a reply that will not come.
     */
    byte[] handle(PeerId from, byte[] message);
}
