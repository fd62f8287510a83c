package io.guardian.pool;

/**
 * Opening a connection did not complete in time: TCP connect plus handshake within
 * {@code connection-timeout} (or within what was left of {@code acquire-deadline}), or the whole
 * acquire within {@code acquire-deadline}. Nothing was sent to the peer on the caller's behalf,
 * so trying again is safe ({@link #retryable()} is {@code true}). A stalled handshake is
 * reported as {@link HandshakeException} with reason {@code TIMEOUT} instead only when
 * {@code handshake.timeout}, which bounds each wait for the listener's next message, runs out
 * before the dial's own deadline (with the defaults, both 10 s, the dial's deadline comes first).
 *
 * <p>Still a {@link ConnectionTimeoutException}, so existing handlers of that type keep catching it.
 */
public class DialTimeoutException extends ConnectionTimeoutException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message which peer, which address, and which setting bounds the dial
     */
    public DialTimeoutException(String message) {
        super(message);
    }

    /**
     * @param message which peer, which address, and which setting bounds the dial
     * @param cause the transport's timeout
     */
    public DialTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
