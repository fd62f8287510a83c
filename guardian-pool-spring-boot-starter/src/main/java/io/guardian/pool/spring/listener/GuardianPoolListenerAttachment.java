package io.guardian.pool.spring.listener;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.Transport;
import io.guardian.pool.net.PeerListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shares the auto-configured listener's connections with the pool
 * ({@link OptimizedConnectionPool#attach(PeerListener)}), so that a peer which dialed this node
 * can be leased to over the connection it opened, on the libp2p transport. On the guardian
 * transport nothing is shared (a guardian-db connection carries one lease and the pool cannot
 * use connections it did not dial). Stops sharing when the context closes, before the listener
 * and the pool close.
 */
public final class GuardianPoolListenerAttachment implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GuardianPoolListenerAttachment.class);

    private final AutoCloseable handle;

    /**
     * Attaches when the pool speaks libp2p.
     *
     * @param pool the pool
     * @param listener the listener, with the pool's identity
     * @param transport the pool's transport
     */
    public GuardianPoolListenerAttachment(OptimizedConnectionPool pool, PeerListener listener, Transport transport) {
        if (transport == Transport.LIBP2P) {
            this.handle = pool.attach(listener);
            LOG.debug("Pool shares the connections of {}", listener);
        } else {
            this.handle = null;
        }
    }

    /** @return whether the pool shares the listener's connections */
    public boolean attached() {
        return handle != null;
    }

    /** Stops sharing; connections already pooled stay. Idempotent. */
    @Override
    public void close() throws Exception {
        if (handle != null) {
            handle.close();
        }
    }
}
