package io.guardian.pool.spring.observation;

import io.guardian.pool.Transport;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;

/**
 * What a {@code guardian.pool.dial} observation knows: one dial of a pool (TCP connect plus the
 * security and multiplexer handshakes, with the retries of the same acquire). The error, when
 * the dial failed, is the context's {@link #getError()}: the exception the acquiring caller got.
 */
public class GuardianPoolDialContext extends GuardianPoolContext {

    private final boolean detached;

    /**
     * @param pool the pool's name (its bean name)
     * @param peer the peer dialed
     * @param address the address dialed
     * @param transport the pool's transport
     * @param detached whether the dial started on a thread other than the acquiring caller's (then
     *     the observation has no parent)
     */
    public GuardianPoolDialContext(String pool, PeerId peer, Multiaddr address, Transport transport,
            boolean detached) {
        super(pool, peer, address, transport);
        this.detached = detached;
    }

    /** @return whether the dial started off the acquiring caller's thread */
    public boolean isDetached() {
        return detached;
    }
}
