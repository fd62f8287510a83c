package io.guardian.pool.spring.observation;

import io.guardian.pool.PoolInstrumentation.Operation;
import io.guardian.pool.Transport;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.util.Objects;

/**
 * What a {@code guardian.pool.request} observation knows: one {@code request}, {@code send} or
 * {@code receive} on a lease of a pool, observed on the caller's thread. The error, when it
 * failed, is the context's {@link #getError()}: the exception the caller got.
 */
public class GuardianPoolRequestContext extends GuardianPoolContext {

    private final String protocol;
    private final Operation operation;

    /**
     * @param pool the pool's name (its bean name)
     * @param peer the peer at the other end
     * @param address the address that was dialed
     * @param transport the pool's transport
     * @param protocol the protocol the lease speaks
     * @param operation request, send or receive
     */
    public GuardianPoolRequestContext(String pool, PeerId peer, Multiaddr address, Transport transport,
            String protocol, Operation operation) {
        super(pool, peer, address, transport);
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.operation = Objects.requireNonNull(operation, "operation");
    }

    /** @return the protocol the lease speaks */
    public String getProtocol() {
        return protocol;
    }

    /** @return request, send or receive */
    public Operation getOperation() {
        return operation;
    }
}
