package io.guardian.pool.sample;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerAddress;
import io.guardian.pool.peer.PeerIdentity;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The embedded demo peers ({@code guardian.sample.peers.count}, default 5), named {@code peer-1}
 * to {@code peer-N}. They are bound when the application context starts, before the workload and
 * the web server, and closed when it stops, after them and after the pool has drained; in between the REST API and the
 * dashboard stop and start them one by one to show breakers opening and closing.
 *
 * <p>Each peer gets a fresh identity at every application start; its port and identity then stay
 * the same across stop and start.
 */
@Component
public class DemoPeers implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DemoPeers.class);

    /**
     * Start before the workload, the web server and the starter's parts; stop after them all,
     * including the pool's graceful drain, so leases still out at shutdown end normally instead of
     * on a closed socket.
     */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 8192;

    private final List<DemoPeer> peers;
    private volatile boolean running;

    /**
     * Creates the peers (identities only; nothing is bound until {@link #start()}).
     *
     * @param properties the sample's settings: how many peers, which ports
     * @param pool the pool, whose protocol settings the peers adopt
     */
    public DemoPeers(SampleProperties properties, OptimizedConnectionPool pool) {
        SampleProperties.Peers settings = properties.peers();
        List<DemoPeer> list = new ArrayList<>(settings.count());
        for (int i = 0; i < settings.count(); i++) {
            list.add(new DemoPeer("peer-" + (i + 1), PeerIdentity.generate(), settings.portOf(i),
                    pool.config().protocol()));
        }
        this.peers = List.copyOf(list);
    }

    /**
     * Binds every peer. If one cannot bind, those already bound are closed again and start-up
     * fails with the reason.
     */
    @Override
    public void start() {
        try {
            for (DemoPeer peer : peers) {
                peer.start();
                log.info("Demo peer {} listening at {}", peer.name(), peer.address().orElseThrow());
            }
        } catch (RuntimeException e) {
            peers.forEach(DemoPeer::close);
            throw e;
        }
        running = true;
    }

    /** Closes every peer's listener and its connections, and frees their ports. */
    @Override
    public void stop() {
        running = false;
        for (DemoPeer peer : peers) {
            try {
                peer.close();
            } catch (RuntimeException e) {
                log.warn("Demo peer {} did not close cleanly: {}", peer.name(), e.toString());
            }
        }
    }

    /** @return whether the peers were started and not yet stopped as a whole */
    @Override
    public boolean isRunning() {
        return running;
    }

    /** @return {@link #PHASE}: up before the traffic that needs them, down after it */
    @Override
    public int getPhase() {
        return PHASE;
    }

    /**
     * Every demo peer, in name order.
     *
     * @return the peers
     */
    List<DemoPeer> all() {
        return peers;
    }

    /**
     * Finds a peer by its name ({@code peer-1}) or its PeerId in base58.
     *
     * @param nameOrPeerId what the caller gave
     * @return the peer, or empty if no demo peer matches
     */
    Optional<DemoPeer> find(String nameOrPeerId) {
        for (DemoPeer peer : peers) {
            if (peer.name().equals(nameOrPeerId) || peer.peerId().toBase58().equals(nameOrPeerId)) {
                return Optional.of(peer);
            }
        }
        return Optional.empty();
    }

    /**
     * Where the pool can dial each peer, running or not: the pool itself must find out, through
     * its breakers, which ones answer.
     *
     * @return one address per peer that has been bound at least once
     */
    List<PeerAddress> candidates() {
        List<PeerAddress> out = new ArrayList<>(peers.size());
        for (DemoPeer peer : peers) {
            peer.peerAddress().ifPresent(out::add);
        }
        return out;
    }
}
