package io.guardian.pool.internal.libp2p.yamux;

import io.guardian.pool.internal.transport.TransportException;
import io.netty.buffer.ByteBuf;

/**
 * What a {@link YamuxStream}'s reader hears. Every method runs on the session's event loop, in the
 * order the frames arrived, and must not block; after {@link #onRemoteClose} no more data comes,
 * after {@link #onReset} nothing more comes at all. Not API.
 */
public interface StreamListener {

    /**
     * Payload of one Data frame. Ownership passes to the listener, which must release it and should
     * call {@link YamuxStream#consumed(int)} once the bytes are taken out, or the remote stalls when
     * the receive window is used up.
     *
     * @param s the stream
     * @param data the payload, never empty
     */
    void onData(YamuxStream s, ByteBuf data);

    /**
     * The remote half-closed (FIN): it sends nothing more; this side may still write.
     *
     * @param s the stream
     */
    void onRemoteClose(YamuxStream s);

    /**
     * The stream is dead: the remote reset it ({@link TransportException.Kind#RESET}), broke the
     * protocol on it ({@link TransportException.Kind#PROTOCOL_VIOLATION}), or the session ended
     * (its kind: {@link TransportException.Kind#CLOSED_BY_PEER}, {@link TransportException.Kind#CLOSED_LOCALLY},
     * ...). Not called for this side's own {@link YamuxStream#reset()}.
     *
     * @param s the stream
     * @param cause why
     */
    void onReset(YamuxStream s, TransportException cause);
}
