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
    /**
     * Its allocations' states, created on first need and reused by every later lease (slot lock):
     * the first {@link #allocations} are leased, the rest up to {@link #created} are free.
     */
    Lease[] leases = new Lease[1];
    int allocations;
    /** How many states {@link #leases} holds. */
    private int created;
    /**
     * The first allocation's state, made with the connection (so it sits next to it in the heap)
     * and always {@code leases[0]} on guardian-db, whose one allocation then never goes through
     * the array: one cache line fewer per acquire on a walk over many peers.
     */
    private final Lease primary;
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

    PooledConn(PoolEngine engine, String id, PeerSlot slot, PooledTransport transport, Multiaddr address,
            long createdNanos) {
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
        // Last: the state reads the fields above.
        this.primary = new Lease(engine, this);
        leases[0] = primary;
        created = 1;
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

    /**
     * Takes a free allocation state for a new lease (slot lock), creating one only when every
     * state made so far is leased: the warm path stores no reference.
     *
     * @param engine the engine, for a new state
     * @return the state, counted among the leased ones
     */
    Lease takeState(PoolEngine engine) {
        if (!multiplexed) {
            allocations = 1; // its one allocation, taken only while free (hasRoom)
            return primary;
        }
        if (allocations == created) {
            if (created == leases.length) {
                leases = Arrays.copyOf(leases, created * 2);
            }
            leases[created++] = new Lease(engine, this);
        }
        return leases[allocations++];
    }

    /**
     * Returns a state whose lease ended to the free ones (slot lock). Swaps references only when
     * it was not the last leased one (libp2p streams ending out of order).
     *
     * @return whether it was leased on this connection (false once {@link #clearLeases} ran)
     */
    boolean removeLease(Lease l) {
        if (!multiplexed) {
            if (allocations == 1 && l == primary) {
                allocations = 0;
                return true;
            }
            return false;
        }
        for (int i = 0; i < allocations; i++) {
            if (leases[i] == l) {
                int last = --allocations;
                if (i != last) {
                    leases[i] = leases[last];
                    leases[last] = l;
                }
                return true;
            }
        }
        return false;
    }

    /** @return the leased state whose lease has this number, or {@code null} (slot lock) */
    Lease leaseNumbered(long number) {
        for (int i = 0; i < allocations; i++) {
            if (leases[i].number == number) {
                return leases[i];
            }
        }
        return null;
    }

    /**
     * Forgets every lease (slot lock): the connection is being closed under its holders. Their
     * states keep their generations, so their handles still act (and fail on the closed
     * connection) until closed; a closed connection is never leased again.
     */
    void clearLeases() {
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
