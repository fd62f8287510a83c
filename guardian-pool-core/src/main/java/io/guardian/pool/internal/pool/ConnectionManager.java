package io.guardian.pool.internal.pool;

import io.guardian.pool.ConnectionManagerConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The connection manager's trimming (ARCHITECTURE "Transports and the connection model"; the
 * settings in {@link ConnectionManagerConfig}). Not API.
 *
 * <p>Above the high watermark of open connections, idle connections are closed, least recently
 * used first, until the low watermark is reached or no candidate is left. Never trimmed: a
 * connection carrying a lease, one younger than the grace period, any connection of a protected
 * peer. Runs on each housekeeping pass and after a connection joins the pool; the scan visits
 * every slot, which costs only while the pool is above its high watermark.
 */
final class ConnectionManager {

    private final PoolEngine engine;
    private final ConnectionManagerConfig config;
    private final long graceNanos;

    ConnectionManager(PoolEngine engine, ConnectionManagerConfig config) {
        this.engine = engine;
        this.config = config;
        this.graceNanos = config.gracePeriod().toNanos();
    }

    /** @return whether trimming is configured and the pool is above its high watermark */
    boolean over() {
        return config.enabled() && engine.admission().open() > config.highWatermark();
    }

    /**
     * Trims if the pool is above its high watermark.
     *
     * @return connections closed
     */
    int trim() {
        if (!over()) {
            return 0;
        }
        int excess = engine.admission().open() - config.lowWatermark();
        long now = engine.clock().nanoTime();
        List<PooledConn> candidates = new ArrayList<>();
        for (PeerSlot s : engine.slotsView()) {
            synchronized (s) {
                if (s.protectTags != null && !s.protectTags.isEmpty()) {
                    continue;
                }
                for (int i = 0; i < s.idleCount; i++) {
                    PooledConn c = s.idle[i];
                    if (now - c.createdNanos >= graceNanos) {
                        candidates.add(c);
                    }
                }
            }
        }
        candidates.sort(Comparator.comparingLong(c -> c.lastUsedNanos));
        int closed = 0;
        for (PooledConn c : candidates) {
            if (closed >= excess) {
                break;
            }
            Closings closing = new Closings(engine);
            PeerSlot s = c.slot;
            synchronized (s) {
                boolean protectedNow = s.protectTags != null && !s.protectTags.isEmpty();
                if (c.state == PooledConn.IDLE && !protectedNow) {
                    closing.detachLocked(s, c, "trimmed by the connection manager: " + engine.admission().open()
                            + " connections open, above connection-manager.high-watermark (" + config.highWatermark()
                            + "); trimming to the low watermark (" + config.lowWatermark() + ")", CloseKind.EVICTED);
                }
            }
            if (closing.size() > 0) {
                closing.finish();
                engine.counters().trimmed();
                closed++;
            }
        }
        return closed;
    }
}
