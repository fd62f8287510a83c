package io.guardian.pool.internal.pool;

import io.guardian.pool.internal.transport.PooledTransport;
import java.util.Arrays;
import io.guardian.pool.peer.Multiaddr;

/**
 * One established connection and what the pool knows about it. Not API.
 *
 * <p>A connection carries up to {@link #allocationLimit} leases at once: one for guardian-db, the
 * stream limit for libp2p (where each lease is a stream). It is IDLE with no lease, LEASED with at
 * least one.
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
    final PooledTransport transport;
    /** Whether leases are streams of their own (libp2p), so several share the connection. */
    final boolean multiplexed;
    /** Whether the remote dialed it (a connection our listener accepted and handed to the pool). */
    final boolean inbound;
    final Multiaddr address;
    final long createdNanos;
    final LatencyTracker latency = new LatencyTracker();

    // slot lock
    /** IDLE until its first lease (a new connection is not in the idle stack yet), then as above. */
    int state = IDLE;
    long lastUsedNanos;
    long pooledAtNanos;
    long reuseCount;
    /** Leases on it now (slot lock): the first {@link #allocations} entries. */
    Lease[] leases = new Lease[1];
    int allocations;
    /** Leases it may carry at once (slot lock); lowered when the remote refuses streams. */
    int allocationLimit;
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

    PooledConn(String id, PeerSlot slot, PooledTransport transport, Multiaddr address, long createdNanos) {
        this.id = id;
        this.slot = slot;
        this.transport = transport;
        this.multiplexed = transport.multiplexed();
        this.inbound = !transport.initiator();
        this.allocationLimit = Math.max(1, transport.allocationLimit());
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

    /** @return whether another lease fits (slot lock) */
    boolean hasRoom() {
        return allocations < allocationLimit;
    }

    /** Records a new lease on it (slot lock). */
    void addLease(Lease l) {
        if (allocations == leases.length) {
            leases = Arrays.copyOf(leases, allocations * 2);
        }
        leases[allocations++] = l;
    }

    /** Forgets a lease that ended (slot lock). @return whether it was on this connection */
    boolean removeLease(Lease l) {
        for (int i = 0; i < allocations; i++) {
            if (leases[i] == l) {
                leases[i] = leases[--allocations];
                leases[allocations] = null;
                return true;
            }
        }
        return false;
    }

    /** @return the lease with this number, or {@code null} (slot lock) */
    Lease leaseNumbered(long number) {
        for (int i = 0; i < allocations; i++) {
            if (leases[i].number == number) {
                return leases[i];
            }
        }
        return null;
    }

    /** Drops every lease record (slot lock): the connection is being closed under its holders. */
    void clearLeases() {
        Arrays.fill(leases, 0, allocations, null);
        allocations = 0;
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
