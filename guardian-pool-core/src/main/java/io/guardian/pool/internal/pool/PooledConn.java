package io.guardian.pool.internal.pool;

import io.guardian.pool.internal.transport.FramedConnection;
import io.guardian.pool.peer.Multiaddr;

/**
 * One established connection and what the pool knows about it. Not API.
 *
 * <p>Fields marked "slot lock" change only under the owning {@link PeerSlot}'s lock; the
 * volatile ones are written by the lease holder or the health pass and read anywhere.
 */
final class PooledConn {

    static final int IDLE = 0;
    static final int LEASED = 1;
    static final int CLOSED = 2;

    final String id;
    final PeerSlot slot;
    final FramedConnection transport;
    final Multiaddr address;
    final long createdNanos;
    final LatencyTracker latency = new LatencyTracker();

    // slot lock
    int state = LEASED;
    long lastUsedNanos;
    long pooledAtNanos;
    long reuseCount;
    Lease lease;
    long leaseBytes;
    long leaseNanos;
    /**
     * DATA bytes moved when it was last returned. DATA moves only while leased (PINGs are not
     * counted), so at the next release the difference is what that lease moved, without reading
     * the counters on acquire.
     */
    long bytesAtRelease;
    /** Whether it ended by failing (dead socket, lost PONGs, holder failure) rather than by choice. */
    boolean closedAsFailure;
    /** Why it is being closed or retired, once decided (the lease holder may set it, hence volatile). */
    volatile String closeReason;

    /** Set by the lease holder on I/O or protocol failure, or by the pool: never reuse it. */
    volatile boolean failed;
    /** Set when the pool wants it gone once its current lease ends (evict, max-lifetime). */
    volatile boolean retireOnRelease;
    volatile long operations;
    /** How many leases this connection has had; the current lease's number (slot lock). */
    long leaseNumber;

    // slot lock, written by the health pass
    int consecutiveLosses;
    long pingsSent;
    long pingsLost;

    PooledConn(String id, PeerSlot slot, FramedConnection transport, Multiaddr address, long createdNanos) {
        this.id = id;
        this.slot = slot;
        this.transport = transport;
        this.address = address;
        this.createdNanos = createdNanos;
        this.lastUsedNanos = createdNanos;
        this.pooledAtNanos = createdNanos;
        this.bytesAtRelease = bytesMoved();
    }

    /**
     * Marks the connection for closing when its current lease ends, without blaming the peer.
     *
     * @param reason why, for the Disconnected event
     */
    void retire(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        retireOnRelease = true;
    }

    /** @return bytes moved in DATA frames so far, both directions */
    long bytesMoved() {
        return transport.bytesSent() + transport.bytesReceived();
    }

    /** @return bytes per second moved while leased, 0 before a lease moved data */
    long bandwidthBps() {
        long nanos = leaseNanos;
        return nanos <= 0 ? 0L : (long) (leaseBytes * 1e9 / nanos);
    }

    @Override
    public String toString() {
        return id;
    }
}
