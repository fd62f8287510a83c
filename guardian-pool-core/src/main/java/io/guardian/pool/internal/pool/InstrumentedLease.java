package io.guardian.pool.internal.pool;

import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolInstrumentation.Operation;
import io.guardian.pool.PoolInstrumentation.Scope;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * A lease whose {@code request}, {@code send} and {@code receive} each run inside an
 * instrumentation scope, started on the caller's thread. Everything else goes straight to the
 * lease underneath, which keeps all the rules (a closed lease throws, a failed one is not
 * reused). Only handed out when the pool has an instrumentation. Not API.
 */
final class InstrumentedLease implements PeerConnection {

    private final PeerConnection lease;
    private final Instrumentation instrumentation;
    /** Read while the lease is open: after its close {@code protocol()} throws, and a late call still gets a scope. */
    private final String protocol;

    InstrumentedLease(PeerConnection lease, Instrumentation instrumentation) {
        this.lease = lease;
        this.instrumentation = instrumentation;
        this.protocol = lease.protocol();
    }

    @Override
    public String id() {
        return lease.id();
    }

    @Override
    public PeerId peerId() {
        return lease.peerId();
    }

    @Override
    public Multiaddr address() {
        return lease.address();
    }

    @Override
    public void send(byte[] message) {
        observed(Operation.SEND, () -> {
            lease.send(message);
            return null;
        });
    }

    @Override
    public byte[] receive(Duration timeout) {
        return observed(Operation.RECEIVE, () -> lease.receive(timeout));
    }

    @Override
    public byte[] request(byte[] message, Duration timeout) {
        return observed(Operation.REQUEST, () -> lease.request(message, timeout));
    }

    /** Runs {@code call} inside a scope started on this thread, which ends with what it threw, if anything. */
    private <T> T observed(Operation operation, Supplier<T> call) {
        Scope scope = instrumentation.requestStarted(lease, protocol, operation);
        Throwable failure = null;
        try {
            return call.get();
        } catch (RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            Instrumentation.end(scope, failure);
        }
    }

    @Override
    public void markFailed(Throwable cause) {
        lease.markFailed(cause);
    }

    @Override
    public void close() {
        lease.close();
    }

    @Override
    public String protocol() {
        return lease.protocol();
    }

    @Override
    public String toString() {
        return lease.toString();
    }
}
