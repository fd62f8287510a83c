package io.guardian.pool.benchmarks.acquire;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.pool.LaxConnPool;
import org.apache.hc.core5.pool.ManagedConnPool;
import org.apache.hc.core5.pool.PoolEntry;
import org.apache.hc.core5.pool.PoolReusePolicy;
import org.apache.hc.core5.pool.RouteSegmentedConnPool;
import org.apache.hc.core5.pool.StrictConnPool;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * One of httpcore5's route pools holding fake connections, LIFO, no time to live. A lease that
 * comes back without a connection gets a fresh fake one, which is what an HTTP client does (it
 * dials) and happens only while warming. Not API.
 */
final class HttpCorePool implements KeyedPoolUnderTest {

    /** Which httpcore5 pool. */
    enum Kind {
        /** {@link StrictConnPool}: one lock, per-route and global maximum. */
        STRICT,
        /** {@link LaxConnPool}: per-route lock-free-ish pools; enforces no global maximum. */
        LAX,
        /** {@link RouteSegmentedConnPool}: per-route segments with a global maximum (5.4+). */
        SEGMENTED
    }

    private final String[] routes;
    private final ManagedConnPool<String, FakeConnection> pool;

    HttpCorePool(Kind kind, int keyCount, int maxPerKey) {
        routes = new String[keyCount];
        for (int i = 0; i < keyCount; i++) {
            routes[i] = "peer-" + i;
        }
        TimeValue noTimeToLive = TimeValue.NEG_ONE_MILLISECOND;
        int maxTotal = keyCount * maxPerKey;
        pool = switch (kind) {
            case STRICT -> new StrictConnPool<>(maxPerKey, maxTotal, noTimeToLive, PoolReusePolicy.LIFO, null);
            case LAX -> new LaxConnPool<>(maxPerKey, noTimeToLive, PoolReusePolicy.LIFO, null);
            case SEGMENTED -> new RouteSegmentedConnPool<>(
                    maxPerKey, maxTotal, noTimeToLive, PoolReusePolicy.LIFO, (connection, mode) -> connection.close(mode));
        };
    }

    @Override
    public Object borrowAndRelease(int key) throws Exception {
        Future<PoolEntry<String, FakeConnection>> lease = pool.lease(routes[key], null, Timeout.DISABLED, null);
        PoolEntry<String, FakeConnection> entry = lease.get();
        if (!entry.hasConnection()) {
            entry.assignConnection(new FakeConnection(key));
        }
        pool.release(entry, true);
        return entry;
    }

    @Override
    public void warm(int key, int count) throws Exception {
        List<PoolEntry<String, FakeConnection>> held = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            PoolEntry<String, FakeConnection> entry = pool.lease(routes[key], null, Timeout.DISABLED, null).get();
            if (!entry.hasConnection()) {
                entry.assignConnection(new FakeConnection(key));
            }
            held.add(entry);
        }
        for (PoolEntry<String, FakeConnection> entry : held) {
            pool.release(entry, true);
        }
    }

    @Override
    public void close() {
        pool.close(CloseMode.IMMEDIATE);
    }
}
