package io.guardian.pool.reliability;

import io.guardian.pool.PeerAddress;
import io.guardian.pool.net.MessageHandler;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.io.UncheckedIOException;

/**
 * A real {@link PeerListener} on 127.0.0.1 that can go down and come back as the same peer: same
 * identity, same port, so the pool's address for it stays valid.
 */
final class LoopbackPeer implements AutoCloseable {

    /** Answers every message with itself. */
    static final MessageHandler ECHO = (from, message) -> message;

    final PeerIdentity identity;
    final PeerId id;
    final Multiaddr address;
    private final MessageHandler handler;
    private PeerListener listener;

    private LoopbackPeer(PeerIdentity identity, MessageHandler handler, PeerListener listener) {
        this.identity = identity;
        this.id = identity.peerId();
        this.handler = handler;
        this.listener = listener;
        this.address = listener.listenAddress();
    }

    /** An echo peer on a free port. */
    static LoopbackPeer start() {
        return start(PeerIdentity.generate(), ECHO);
    }

    static LoopbackPeer start(PeerIdentity identity, MessageHandler handler) {
        return new LoopbackPeer(identity, handler, listen(identity, handler, "/ip4/127.0.0.1/tcp/0"));
    }

    private static PeerListener listen(PeerIdentity identity, MessageHandler handler, String bind) {
        return PeerListener.builder(identity).bind(Multiaddr.parse(bind)).handler(handler).start();
    }

    PeerAddress candidate() {
        return new PeerAddress(id, address);
    }

    synchronized boolean isUp() {
        return listener != null;
    }

    /** @return open inbound connections, 0 while down */
    synchronized int connectionCount() {
        return listener == null ? 0 : listener.connectionCount();
    }

    /** Goes down: closes the listener and every connection to it. */
    synchronized void stop() {
        if (listener != null) {
            listener.close();
            listener = null;
        }
    }

    /**
     * Comes back on the same port with the same identity.
     *
     * @return {@code false} if the port is taken meanwhile (an outgoing socket may have been given it
     *     as its ephemeral port); the caller tries again later
     */
    synchronized boolean restart() {
        if (listener != null) {
            return true;
        }
        try {
            listener = listen(identity, handler, "/ip4/127.0.0.1/tcp/" + address.port());
            return true;
        } catch (UncheckedIOException portTaken) {
            return false;
        }
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "peer " + id + " on port " + address.port();
    }
}
