package io.guardian.pool;

import java.time.Instant;

/**
 * A point-in-time view of a connection in the pool, with the original's fields.
 *
 * @param info the connection's measurements
 * @param pooledAt when it last entered the pool: its first idle moment after the dial, then
 *     each release (wall clock); the dial time while it has never been idle
 * @param reuseCount how many times it was leased again after its first lease
 * @param inUse whether a caller holds it right now
 */
public record PooledConnection(ConnectionInfo info, Instant pooledAt, long reuseCount, boolean inUse) {
}
