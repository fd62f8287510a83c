package io.guardian.pool.spring.observation;

import io.guardian.pool.Transport;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.micrometer.observation.Observation;
import java.util.Objects;

/**
 * What every observation of a pool knows: the pool (its bean name), the peer, the address and the
 * pool's transport. The error, when the observed work failed, is the context's
 * {@link #getError()}: the exception the caller got.
 */
public abstract class GuardianPoolContext extends Observation.Context {

    private final String pool;
    private final PeerId peer;
    private final Multiaddr address;
    private final Transport transport;

    /**
     * @param pool the pool's name (its bean name)
     * @param peer the peer at the other end
     * @param address the address dialed
     * @param transport the pool's transport
     */
    protected GuardianPoolContext(String pool, PeerId peer, Multiaddr address, Transport transport) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.peer = Objects.requireNonNull(peer, "peer");
        this.address = Objects.requireNonNull(address, "address");
        this.transport = Objects.requireNonNull(transport, "transport");
    }

    /** @return the pool's name */
    public String getPool() {
        return pool;
    }

    /** @return the peer at the other end */
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
}
