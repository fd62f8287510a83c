package io.guardian.pool.spring;

import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.util.ArrayList;
import java.util.List;

/** Real echo {@link PeerListener}s on 127.0.0.1, closed together. */
public final class LoopbackPeers implements AutoCloseable {

    private final List<PeerListener> listeners = new ArrayList<>();

    /** Starts a peer that answers every message with itself. */
    public Peer start() {
        PeerIdentity identity = PeerIdentity.generate();
        PeerListener listener = PeerListener.builder(identity)
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .handler((from, message) -> message)
                .start();
        synchronized (listeners) {
            listeners.add(listener);
        }
        return new Peer(identity.peerId(), listener.listenAddress());
    }

    @Override
    public void close() {
        synchronized (listeners) {
            listeners.forEach(PeerListener::close);
            listeners.clear();
        }
    }

    /** A running peer: its id and the address to dial. */
    public record Peer(PeerId id, Multiaddr address) {
    }
}
