package io.guardian.pool.spring.observation;

import io.guardian.pool.Transport;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.micrometer.observation.Observation;
import java.util.Objects;

/**
 * What a {@code guardian.pool.dial} observation knows: one dial of a pool (TCP connect plus the
 * security and multiplexer handshakes, with the retries of the same acquire). The error, when
 * the dial failed, is the context's {@link #getError()}: the exception the acquiring caller got.
 */
public class GuardianPoolDialContext extends Observation.Context {

    private final String pool;
    private final PeerId peer;
    private final Multiaddr address;
    private final Transport transport;
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
        this.pool = Objects.requireNonNull(pool, "pool");
        this.peer = Objects.requireNonNull(peer, "peer");
        this.address = Objects.requireNonNull(address, "address");
        this.transport = Objects.requireNonNull(transport, "transport");
        this.detached = detached;
    }

    /** @return the pool's name */
    public String getPool() {
        return pool;
    }

    /** @return the peer dialed */
    public PeerId getPeer() {
        return peer;
    }

    /** @return the address dialed */
    public Multiaddr getAddress() {
        return address;
    }

    /** @return the pool's transport */
    public Transport getTransport() {
        return transport;
    }

    /** @return whether the dial started off the acquiring caller's thread */
    public boolean isDetached() {
        return detached;
    }
}
