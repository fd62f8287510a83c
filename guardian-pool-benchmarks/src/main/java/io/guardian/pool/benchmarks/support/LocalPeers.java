package io.guardian.pool.benchmarks.support;

import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Echo peers in this JVM: one {@link PeerListener} per identity on 127.0.0.1, each a separate
 * libp2p peer, the way the pool meets peers in production. Used where the count is small enough
 * for both ends to share one JVM's file limit (about three descriptors per peer).
 */
public final class LocalPeers implements AutoCloseable {

    /** Where every benchmark listener binds: loopback, any free port. */
    public static final String BIND_ADDRESS = "/ip4/127.0.0.1/tcp/0";

    private final List<PeerListener> listeners;
    private final PeerId[] ids;
    private final Multiaddr[] addresses;

    private LocalPeers(List<PeerListener> listeners) {
        this.listeners = listeners;
        ids = new PeerId[listeners.size()];
        addresses = new Multiaddr[listeners.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = listeners.get(i).peerId();
            addresses[i] = listeners.get(i).listenAddress();
        }
    }

    /**
     * Generates {@code count} identities (in parallel: Ed25519 key generation is the slow part)
     * and starts an echo listener for each.
     *
     * @param count how many peers
     * @return the running peers; close them when done
     */
    public static LocalPeers start(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("need at least one peer, got " + count);
        }
        PeerIdentity[] identities = IntStream.range(0, count).parallel()
                .mapToObj(i -> PeerIdentity.generate()).toArray(PeerIdentity[]::new);
        List<PeerListener> started = new ArrayList<>(count);
        try {
            for (PeerIdentity identity : identities) {
                started.add(startEcho(identity));
            }
        } catch (RuntimeException e) {
            started.forEach(PeerListener::close);
            throw e;
        }
        return new LocalPeers(started);
    }

    /**
     * Starts one echo listener: every DATA message comes back unchanged, which is what the
     * end-to-end request measures.
     *
     * @param identity the listener's identity
     * @return the started listener
     */
    public static PeerListener startEcho(PeerIdentity identity) {
        return PeerListener.builder(identity)
                .bind(Multiaddr.parse(BIND_ADDRESS))
                .handler((from, message) -> message)
                .start();
    }

    /**
     * Starts one echo listener whose handler runs on the network thread ({@code Runnable::run}),
     * which PeerListener documents as safe for handlers that never block and finish in
     * microseconds, as an echo does. It saves the hand-off to the handler pool and back.
     *
     * @param identity the listener's identity
     * @return the started listener
     */
    public static PeerListener startInlineEcho(PeerIdentity identity) {
        return PeerListener.builder(identity)
                .bind(Multiaddr.parse(BIND_ADDRESS))
                .handler((from, message) -> message)
                .handlerExecutor(Runnable::run)
                .start();
    }

    /** @return the peers' ids, index-aligned with {@link #addresses()} */
    public PeerId[] ids() {
        return ids;
    }

    /** @return the peers' listen addresses, each ending in {@code /p2p/<id>} */
    public Multiaddr[] addresses() {
        return addresses;
    }

    /** @return how many peers */
    public int size() {
        return ids.length;
    }

    /** Closes every listener. */
    @Override
    public void close() {
        listeners.forEach(PeerListener::close);
    }
}
