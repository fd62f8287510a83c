package io.guardian.pool.internal.pool;

import io.guardian.pool.health.HealthScore;
import io.guardian.pool.health.PeerHealthMetrics;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;

/**
 * Everything the pool keeps for one peer. Not API. Guarded by its own monitor
 * ({@code synchronized (slot)}); lock order: slot, then the engine's global-waiter lock. No
 * thread ever holds two slot locks.
 *
 * <p>Invariant (under the lock): {@code open == conns.size() + reserved} and
 * {@code open <= max-connections-per-peer}; {@code reserved} counts room held by acquisitions
 * that are dialing or waiting for room under the global limit.
 */
final class PeerSlot {

    final PeerId peerId;
    /** Set once, before the slot is published in the engine's map. */
    CircuitBreaker breaker;
    /** Mirror of "breaker closed", kept in the slot so the acquire path reads no other object. */
    volatile boolean breakerClosed = true;
    final LatencyTracker latency = new LatencyTracker();

    /**
     * Idle connections, oldest release first: LIFO pops the end, reclaim takes index 0. The
     * entry just past {@link #idleCount} may still name the connection popped last (see
     * {@link #takeIdle}); nothing reads past the count.
     */
    PooledConn[] idle = new PooledConn[4];
    int idleCount;
    final ArrayList<PooledConn> conns = new ArrayList<>(4);
    /** Callers waiting at the peer's limit, FIFO; created on first use (most peers never have any). */
    private ArrayDeque<Acquisition> waiters;
    int open;
    int reserved;
    int dialing;
    /** Leases out now (on libp2p, streams: several may share a connection). */
    int leased;
    /** Connections carrying at least one lease. */
    int busy;
    boolean retired;

    /** Protocols the peer refused, and until when (pool clock) acquires for them fail at once; created on first refusal. */
    java.util.LinkedHashMap<String, Long> refusedProtocols;
    /** Tags protecting the peer's connections from the connection manager; created on first use. */
    java.util.Set<String> protectTags;
    /** The latest identify answer of the peer (libp2p), or {@code null}. */
    volatile io.guardian.pool.PeerInfo info;

    Multiaddr lastAddress;
    /** The last address instance that passed validation; a racy cache, so worst case re-validates. */
    Multiaddr validatedAddress;

    /** Start of the current run of connections, or -1 while it has none. */
    long uptimeStartNanos = -1;
    long lastUsedNanos;
    long leaseBytes;
    long leaseNanos;
    long closedOperations;
    /** Sum of {@link PooledConn#bandwidthBps()} over open connections, kept as leases end (slot lock). */
    long bandwidthBps;
    /** Time leases were held, summed, and how many ended: the average hold for reclaim decisions. */
    long holdNanos;
    long holdsEnded;
    /** Leases of an existing connection (idle or handed over), for the pool's reuse count. */
    long reuses;

    /** Dial attempts that failed since the last one that succeeded; cancelled dials do not count. */
    int dialFailures;

    // health pass only
    long lossBits;
    int lossSamples;
    volatile boolean degraded;
    volatile PeerHealthMetrics metrics;
    /** The parts of the last score measured with a connection open, for rescoring an unreachable peer. */
    HealthScore lastScore;

    PeerSlot(PeerId peerId) {
        this.peerId = peerId;
    }

    void addWaiter(Acquisition a) {
        if (waiters == null) {
            waiters = new ArrayDeque<>();
        }
        waiters.addLast(a);
    }

    /** @return the first waiter, removed, or {@code null}; reads nothing beyond this object when none ever waited */
    Acquisition pollWaiter() {
        return waiters == null ? null : waiters.pollFirst();
    }

    void removeWaiter(Acquisition a) {
        if (waiters != null) {
            waiters.remove(a);
        }
    }

    int waiterCount() {
        return waiters == null ? 0 : waiters.size();
    }

    void pushIdle(PooledConn c) {
        if (idleCount == idle.length) {
            idle = Arrays.copyOf(idle, idleCount * 2);
        }
        // A connection usually comes back to the entry it was popped from, which still names it:
        // then no store. Under G1 a reference store between regions fences and dirties a card,
        // per peer on a walk over many peers.
        if (idle[idleCount] != c) {
            idle[idleCount] = c;
        }
        idleCount++;
    }

    /**
     * Takes the idle connection to lease next: the most recently released one, or with load
     * balancing the one with the lowest round-trip average (ties go to the most recent).
     */
    PooledConn takeIdle(boolean lowestRtt) {
        int last = idleCount - 1;
        int pick = last;
        if (lowestRtt && idleCount > 1) {
            double best = idle[pick].latency.ewmaMillis();
            for (int i = idleCount - 2; i >= 0; i--) {
                double l = idle[i].latency.ewmaMillis();
                if (l < best) {
                    best = l;
                    pick = i;
                }
            }
        }
        if (pick == last) {
            // Left in its entry, so that its return stores nothing (see pushIdle); forgotten by
            // forgetPopped if it closes while leased.
            idleCount = last;
            return idle[last];
        }
        return removeIdleAt(pick);
    }

    /**
     * A connection is being closed: drops any reference its pops may have left past the idle
     * ones, so the slot does not keep a closed connection reachable.
     */
    void forgetPopped(PooledConn c) {
        for (int i = idleCount; i < idle.length; i++) {
            if (idle[i] == c) {
                idle[i] = null;
            }
        }
    }

    void removeIdle(PooledConn c) {
        for (int i = 0; i < idleCount; i++) {
            if (idle[i] == c) {
                removeIdleAt(i);
                return;
            }
        }
    }

    private PooledConn removeIdleAt(int i) {
        PooledConn c = idle[i];
        int tail = idleCount - i - 1;
        if (tail > 0) {
            System.arraycopy(idle, i + 1, idle, i, tail);
        }
        idle[--idleCount] = null;
        return c;
    }

    /** Records one PING outcome in the window of the last 64. */
    void recordPing(boolean lost) {
        lossBits = (lossBits << 1) | (lost ? 1L : 0L);
        if (lossSamples < Long.SIZE) {
            lossSamples++;
        }
    }

    /** @return the share of PINGs lost among the last 64, 0 before any */
    double lossRate() {
        if (lossSamples == 0) {
            return 0.0;
        }
        long mask = lossSamples == Long.SIZE ? -1L : (1L << lossSamples) - 1;
        return Long.bitCount(lossBits & mask) / (double) lossSamples;
    }

    /** @return operations on the peer's connections since its uptime began (slot lock) */
    long operations() {
        long ops = closedOperations;
        for (PooledConn c : conns) {
            ops += c.operations;
        }
        return ops;
    }

    @Override
    public String toString() {
        return "PeerSlot[" + peerId + "]";
    }
}
