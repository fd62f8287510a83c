package io.guardian.pool.internal.pool;

import io.guardian.pool.PeerConnection;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;

/**
 * What a caller holds for one lease: the allocation's {@link Lease} state and the generation the
 * lease was issued for. Not API.
 *
 * <p>Created per acquire and stored nowhere by the pool, so that the warm path writes no new
 * object into a long-lived one, and so small that C2 can scalar-replace it when the caller keeps
 * it local (acquire and close inlined into the caller). Every method but {@link #id()},
 * {@link #peerId()} and {@link #address()} first checks that its generation is still the
 * state's: once the lease ended (and even once the same state carries the next holder's lease)
 * {@code send}, {@code receive}, {@code request} and {@code protocol} throw
 * {@link IllegalStateException} and {@code close} and {@code markFailed} do nothing.
 *
 * <p>Two handles are equal when they name the same lease: {@code connection(id)} returns a
 * handle equal to the one {@code acquire} or {@code getConnection} produced, not the same object.
 */
final class LeaseHandle implements PeerConnection {

    private final Lease lease;
    private final long generation;

    /**
     * @param lease the allocation's state
     * @param generation the generation of the lease this handle names
     */
    LeaseHandle(Lease lease, long generation) {
        this.lease = lease;
        this.generation = generation;
    }

    /** @return the state, if this handle's lease has not ended; else the failure for {@code what} */
    private Lease live(String what) {
        Lease l = lease;
        if (!l.isCurrent(generation)) {
            // Named by the connection only: the state may carry another holder's lease by now.
            throw new IllegalStateException("cannot " + what + " on connection " + l.conn.id + " to peer "
                    + l.conn.slot.peerId + ": this lease was already closed; acquire a new one");
        }
        return l;
    }

    /** @return the state this handle names, for the engine (whether or not its lease ended) */
    Lease lease() {
        return lease;
    }

    /**
     * @return whether the lease reused an existing connection (for observers; read by its holder
     *     while the lease lasts, else {@code false})
     */
    boolean reused() {
        Lease l = lease;
        boolean r = l.reused;
        return r && l.isCurrent(generation);
    }

    /** @return the generation of the lease this handle names */
    long generation() {
        return generation;
    }

    @Override
    public String id() {
        return lease.conn.id;
    }

    @Override
    public PeerId peerId() {
        return lease.conn.slot.peerId;
    }

    @Override
    public Multiaddr address() {
        return lease.conn.address;
    }

    @Override
    public String protocol() {
        // The state's protocol is the current lease's, which may be another holder's by now.
        return live("read the protocol").protocol();
    }

    @Override
    public void send(byte[] message) {
        live("send").send(message);
    }

    @Override
    public byte[] receive(Duration timeout) {
        return live("receive").receive(timeout);
    }

    @Override
    public byte[] request(byte[] message, Duration timeout) {
        return live("request").request(message, timeout);
    }

    @Override
    public void markFailed(Throwable cause) {
        Lease l = lease;
        if (l.isCurrent(generation)) {
            l.release(generation, cause == null ? new IllegalStateException("marked failed without a cause") : cause);
        }
    }

    @Override
    public void close() {
        Lease l = lease;
        if (l.isCurrent(generation)) {
            l.release(generation, null);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LeaseHandle && ((LeaseHandle) o).lease == lease && ((LeaseHandle) o).generation == generation;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(lease) * 31 + Long.hashCode(generation);
    }

    @Override
    public String toString() {
        Lease l = lease;
        boolean current = l.isCurrent(generation);
        String protocol = current && l.conn.multiplexed ? ", " + l.protocol() : "";
        return "PeerConnection[" + l.conn.id + protocol + (current ? "]" : ", closed]");
    }
}
