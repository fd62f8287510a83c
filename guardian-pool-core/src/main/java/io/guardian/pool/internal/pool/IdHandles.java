package io.guardian.pool.internal.pool;

import io.guardian.pool.PeerConnection;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;

/**
 * The original design's id API ({@code getConnection}, {@code releaseConnection},
 * {@code connection(id)}) as an adapter over leases. Not API.
 *
 * <p>An id from {@link #getConnection} names one lease, not the connection: it is the
 * connection's id, {@value #SEPARATOR}, and the lease's number on that connection. Once that lease
 * ends the id names nothing, so releasing it twice, or looking it up after release, throws
 * {@link IllegalStateException} even when the same connection has since been leased to someone
 * else; it can never act on the next holder's work. A connection id without a lease number (what
 * {@link PeerConnection#id()} returns) still finds the connection's current lease in
 * {@link #connection}, since its holder already has that lease in hand.
 */
public final class IdHandles {

    /** Between the connection id and the lease number; never part of a connection id. */
    static final char SEPARATOR = '#';

    private final PoolEngine engine;

    IdHandles(PoolEngine engine) {
        this.engine = engine;
    }

    /**
     * Leases a connection and returns the handle of that lease.
     *
     * @param peer the peer
     * @param address where to dial it
     * @return an id naming this lease only
     */
    public String getConnection(PeerId peer, Multiaddr address) {
        // The connection's id and the lease's number, so that once the lease ends the id names
        // nothing (never the connection's next holder). The state is this caller's until it
        // releases it, so its number is this lease's.
        Lease lease = ((LeaseHandle) engine.acquire(peer, address)).lease();
        return lease.conn.id + SEPARATOR + lease.number;
    }

    /**
     * The lease an id names: a lease handle's own lease while it lasts, or a connection id's
     * current lease. A new handle each call, equal to (not the same object as) the one
     * {@code acquire} returned for that lease, and like it scoped to that lease.
     *
     * @param id an id from {@link #getConnection}, or a connection id
     * @return the lease
     */
    public PeerConnection connection(String id) {
        Parsed p = parse(id);
        PooledConn c = find(p, id);
        LeaseHandle lease = currentLease(c, p.number);
        if (lease == null) {
            throw ended(id, c);
        }
        return lease;
    }

    /**
     * Ends the lease a handle names.
     *
     * @param peer the peer it belongs to
     * @param id an id from {@link #getConnection}
     */
    public void release(PeerId peer, String id) {
        if (peer == null) {
            throw new IllegalArgumentException("peerId must not be null");
        }
        Parsed p = parse(id);
        if (p.number == 0) {
            throw new IllegalArgumentException("'" + id + "' is a connection id, not an id from getConnection; close "
                    + "the PeerConnection it came from instead");
        }
        PooledConn c = find(p, id);
        if (!c.slot.peerId.equals(peer)) {
            throw new IllegalArgumentException("connection " + id + " belongs to peer " + c.slot.peerId
                    + ", not to peer " + peer + "; release it with the peer it was acquired for");
        }
        LeaseHandle lease = currentLease(c, p.number);
        if (lease == null) {
            throw ended(id, c);
        }
        lease.close();
    }

    private PooledConn find(Parsed p, String id) {
        PooledConn c = engine.connectionById(p.connectionId);
        if (c != null) {
            return c;
        }
        if (p.number > 0 && issued(p.connectionId)) {
            throw new IllegalStateException("connection " + id + " is not leased any more: it was released already "
                    + "and its connection has been closed since; acquire a connection again");
        }
        throw new IllegalArgumentException("unknown connection id " + id + ": this pool never issued it, or the "
                + "connection has been closed since");
    }

    /**
     * @param number a handle's lease number, or 0 for a bare connection id
     * @return a handle of that lease while it lasts (made under the lock, so it names that lease
     *     only); for a connection id, of the connection's only lease; else {@code null} (idle,
     *     closed, ended, or a libp2p connection carrying several leases)
     */
    private static LeaseHandle currentLease(PooledConn c, long number) {
        synchronized (c.slot) {
            if (c.state != PooledConn.LEASED) {
                return null;
            }
            Lease l = number > 0 ? c.leaseNumbered(number) : c.allocations == 1 ? c.leases[0] : null;
            return l == null ? null : new LeaseHandle(l, l.generation());
        }
    }

    /** @return whether the engine issued a connection with this id (it may be closed since) */
    private boolean issued(String connectionId) {
        int sep = connectionId.lastIndexOf('_');
        if (sep < 0 || !connectionId.startsWith("conn_")) {
            return false;
        }
        try {
            long n = Long.parseUnsignedLong(connectionId.substring(sep + 1), 16);
            return n > 0 && n <= engine.connectionsIssued();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static IllegalStateException ended(String id, PooledConn c) {
        return new IllegalStateException("connection " + id + " of peer " + c.slot.peerId + " is not leased under "
                + "this id any more: it was released already (ids name one lease, never the connection's next "
                + "holder); acquire a connection again");
    }

    private static Parsed parse(String id) {
        if (id == null) {
            throw new IllegalArgumentException("connectionId must not be null");
        }
        int sep = id.lastIndexOf(SEPARATOR);
        if (sep < 0) {
            return new Parsed(id, 0);
        }
        long n;
        try {
            n = Long.parseLong(id.substring(sep + 1));
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n <= 0) {
            throw new IllegalArgumentException("unknown connection id " + id + ": this pool never issued it");
        }
        return new Parsed(id.substring(0, sep), n);
    }

    private static final class Parsed {
        final String connectionId;
        /** The lease number, or 0 for a bare connection id. */
        final long number;

        Parsed(String connectionId, long number) {
            this.connectionId = connectionId;
            this.number = number;
        }
    }
}
