package io.guardian.pool.internal.libp2p.yamux;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Calls into {@link StreamListener}s so that one that throws cannot break the session. Not API. */
final class Listeners {

    private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);

    private Listeners() {
    }

    /**
     * Delivers data ({@code data != null}), a reset ({@code reset != null}) or the remote's FIN.
     * A listener that throws gets its stream reset; that is a local bug, but the peer's data may
     * provoke it, so it is logged at DEBUG only.
     */
    static void call(YamuxStream stream, StreamListener l, ByteBuf data, TransportException reset) {
        try {
            if (data != null) {
                l.onData(stream, data);
            } else if (reset != null) {
                l.onReset(stream, reset);
            } else {
                l.onRemoteClose(stream);
            }
        } catch (RuntimeException e) {
            LOG.debug("listener of {} threw; resetting the stream", stream, e);
            if (reset == null) {
                stream.terminate(new TransportException(Kind.CLOSED_LOCALLY, "listener of " + stream + " threw", e),
                        true, false);
            }
        }
    }
}
