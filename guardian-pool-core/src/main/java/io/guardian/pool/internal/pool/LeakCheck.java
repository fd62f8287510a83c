package io.guardian.pool.internal.pool;

import io.guardian.pool.event.ConnectionEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Leak detection: a lease held longer than {@code leak-detection-threshold} raises one
 * {@link ConnectionEvent.ConnectionLeakSuspected} with the stack of its acquire, without the
 * pool's own frames. Not API. Leases are found under each slot's lock; the stack is read and the
 * event raised after the lock is released, since reading a stack costs microseconds per frame.
 */
final class LeakCheck {

    private final PoolEngine e;

    LeakCheck(PoolEngine engine) {
        this.e = engine;
    }

    /** Raises one leak event per lease held past the threshold. @return leases reported now */
    int run(long now) {
        int reported = 0;
        List<Leaked> leaked = new ArrayList<>(0);
        for (PeerSlot s : e.slotsView()) {
            synchronized (s) {
                for (PooledConn c : s.conns) {
                    for (int i = 0; i < c.allocations; i++) {
                        Lease l = c.leases[i];
                        if (l.leakReported || l.site == null) {
                            continue;
                        }
                        if (now - l.acquiredNanos >= e.leakThresholdNanos()) {
                            l.leakReported = true;
                            // Copied under the lock: the state carries the next lease once this one ends.
                            leaked.add(new Leaked(c.id, l.acquiredNanos, l.site));
                        }
                    }
                }
            }
            // Outside the lock: reading the acquire stack costs microseconds per frame, and the
            // slot's acquires and releases must not wait for it.
            for (Leaked l : leaked) {
                reported++;
                e.counters().leakSuspected();
                e.events().publish(new ConnectionEvent.ConnectionLeakSuspected(s.peerId, l.connectionId,
                        Duration.ofNanos(now - l.acquiredNanos), callerFrames(l.site)));
            }
            leaked.clear();
        }
        return reported;
    }

    /** One lease found held too long: what its event needs, read under the slot lock. */
    private static final class Leaked {
        final String connectionId;
        final long acquiredNanos;
        final Throwable site;

        Leaked(String connectionId, long acquiredNanos, Throwable site) {
            this.connectionId = connectionId;
            this.acquiredNanos = acquiredNanos;
            this.site = site;
        }
    }

    /** The acquire stack without the pool's own frames, so it starts at the caller. */
    private static List<StackTraceElement> callerFrames(Throwable site) {
        StackTraceElement[] frames = site.getStackTrace();
        int from = 0;
        while (from < frames.length && isPoolFrame(frames[from].getClassName())) {
            from++;
        }
        return Arrays.asList(frames).subList(from == frames.length ? 0 : from, frames.length);
    }

    private static boolean isPoolFrame(String className) {
        return className.startsWith("io.guardian.pool.internal.pool.")
                || className.equals("io.guardian.pool.OptimizedConnectionPool");
    }
}
