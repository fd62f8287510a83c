package io.guardian.pool.internal.libp2p;

import io.guardian.pool.net.MessageHandler;
import io.guardian.pool.net.StreamHandler;
import java.time.Duration;

/**
 * Serves a {@link MessageHandler} over libp2p streams: each {@code uvarint(length) ‖ message} read
 * is handed to the handler and its reply, if any, written back the same way, until the remote
 * closes its side. Not API.
 *
 * <p>A message longer than the limit, a stream silent for longer than the idle timeout, or a
 * handler that throws resets the stream (the connection stays up); a reply is written before the
 * next message is read, so replies keep the order of requests.
 */
public final class MessageStreams {

    private MessageStreams() {
    }

    /**
     * @param handler the application's handler
     * @param maxMessage the largest request read
     * @param idleTimeout how long a stream may stay silent between requests
     * @return a stream handler that serves {@code handler} message by message
     */
    public static StreamHandler serving(MessageHandler handler, int maxMessage, Duration idleTimeout) {
        return stream -> {
            byte[] message;
            while ((message = stream.readMessage(maxMessage, idleTimeout)) != null) {
                byte[] reply = handler.handle(stream.remotePeer(), message);
                if (reply != null) {
                    stream.writeMessage(reply);
                }
            }
        };
    }
}
