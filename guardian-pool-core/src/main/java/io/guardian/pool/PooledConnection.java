package io.guardian.pool;

import java.time.Instant;

/**
 * A point-in-time view of a connection in the pool, with the original's fields.
 *
 * @param info the connection's measurements
 * @param pooledAt when it last entered the pool: its first idle moment after the dial, then
 *     each release (wall clock); the dial time while it has never been idle
 * @param reuseCount how many times it was leased again after its first lease
 * @param inUse whether a caller holds it right now (on libp2p: at least one stream)
 * @param streams leases on it right now: streams on libp2p, 0 or 1 on guardian-db
 * @param inbound whether the peer dialed it (to an attached listener) rather than the pool
 */
public record PooledConnection(ConnectionInfo info, Instant pooledAt, long reuseCount, boolean inUse, int streams,
        boolean inbound) {

    /**
     * A guardian-db style view: one lease while in use, dialed by the pool.
     *
     * @param info see the record
     * @param pooledAt see the record
     * @param reuseCount see the record
     * @param inUse see the record
     */
    public PooledConnection(ConnectionInfo info, Instant pooledAt, long reuseCount, boolean inUse) {
        this(info, pooledAt, reuseCount, inUse, inUse ? 1 : 0, false);
    }
}
