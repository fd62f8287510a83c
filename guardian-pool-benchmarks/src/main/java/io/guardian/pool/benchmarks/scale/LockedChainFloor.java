package io.guardian.pool.benchmarks.scale;

import io.guardian.pool.peer.PeerId;

/**
 * {@link PeerChainFloor}'s spread chain walked as Guardian Pool's engine walks it: the slot's
 * monitor taken to lease and again to return, and a new lease object per step stored in the
 * connection object. Everything else (objects, layout, loads) is the spread floor's, so the
 * difference between the two rows is the cost of the locking and of that store. Not API.
 */
final class LockedChainFloor extends PeerChainFloor {

    /** Stands for Guardian's Lease: a small object per acquire that points at the connection. */
    static final class Lease {
        final Conn conn;
        final long acquired;

        Lease(Conn conn, long acquired) {
            this.conn = conn;
            this.acquired = acquired;
        }
    }

    private LockedChainFloor(PeerId[] ids) {
        super(ids, true);
    }

    /**
     * As {@link PeerChainFloor#spread}, but each step does what Guardian Pool's engine does around
     * the same loads: takes the slot's monitor to pop the connection and lease it, allocates a
     * lease and stores it in the connection, then takes the monitor again to put it back. The
     * store puts a new object into an old one, which under G1 takes the write barrier's slow path
     * (card check, a store-load fence, dirtying and queueing the card for refinement) whenever
     * that card is clean, as it is again by the time a walk over many peers comes back to the
     * connection.
     *
     * @param peers how many distinct peers, at least 1
     * @return the floor, with one entry per peer
     */
    static LockedChainFloor spread(int peers) {
        PeerId[] ids = PeerKeyedFloor.generateIds(peers);
        System.gc();
        return new LockedChainFloor(ids);
    }

    /** Leases the peer's idle connection and returns it, each under the slot's monitor. */
    @Override
    public Object borrowAndRelease(int key) {
        Lease lease = acquire(key);
        release(lease);
        return lease;
    }

    private Lease acquire(int key) {
        Slot slot = slots.get(ids[key]);
        synchronized (slot) {
            int count = slot.idleCount;
            Conn conn = slot.idle[count - 1];
            Transport transport = conn.transport;
            if (transport.closeReason != null || transport.mailbox.size != 0 || conn.state != IDLE) {
                throw new IllegalStateException("peer #" + key + "'s connection is not idle and open, but only"
                        + " the benchmark thread touches it");
            }
            slot.idle[count - 1] = null;
            slot.idleCount = count - 1;
            slot.leased++;
            slot.reuses++;
            conn.state = LEASED;
            conn.reuseCount++;
            Lease lease = new Lease(conn, slot.reuses);
            // A new object stored in an old one, as PooledConn.lease is on every acquire.
            conn.lease = lease;
            return lease;
        }
    }

    private static void release(Lease lease) {
        Conn conn = lease.conn;
        Slot slot = conn.slot;
        synchronized (slot) {
            if (conn.lease != lease || conn.state != LEASED) {
                throw new IllegalStateException("a lease was returned that its connection no longer holds");
            }
            conn.lease = null;
            conn.state = IDLE;
            slot.leased--;
            slot.idle[slot.idleCount++] = conn;
        }
    }
}
