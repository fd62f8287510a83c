package io.guardian.pool.net;

/**
 * The raw side of a {@link PeerListener} protocol: gets the whole stream, for protocols that are
 * not one request and one reply per message (streaming, several messages each way, raw bytes).
 *
 * <p>Called once per inbound stream on the listener's handler executor (never on a network
 * thread), after multistream-select has agreed on the protocol. The handler owns the stream: when
 * it returns, the stream is closed ({@link P2pStream#close()}); when it throws, the stream is
 * reset.
 */
@FunctionalInterface
public interface StreamHandler {

    /**
     * Serves one stream.
     *
     * @param stream the negotiated stream
     * @throws Exception anything: the stream is reset, the connection stays up
     */
    void handle(P2pStream stream) throws Exception;
}
