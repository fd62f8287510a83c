package io.guardian.pool.internal.pool;

import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.PeerAddress;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolClosedException;
import io.guardian.pool.peer.PeerId;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * Selection across peers for {@code acquireAny}: power of two choices on peak-EWMA round trip ×
 * (leases in use + 1), skipping open breakers and degraded peers while a healthy candidate is left
 * (ARCHITECTURE, "Across peers"). Not API.
 */
public final class PeerChooser {

    private final PoolEngine engine;
    private final DoubleSupplier random;

    PeerChooser(PoolEngine engine, DoubleSupplier random) {
        this.engine = engine;
        this.random = random;
    }

    /**
     * Tries candidates in chosen order until one yields a lease.
     *
     * @param candidates peers and addresses, at least one
     * @return a lease on one of them
     * @throws GuardianPoolException the last candidate's failure, earlier ones suppressed in it
     */
    public PeerConnection acquireAny(List<PeerAddress> candidates) {
        return acquireAny(candidates, engine.config().defaultProtocol());
    }

    /**
     * Tries candidates in chosen order until one yields a lease negotiated to {@code protocol}.
     *
     * @param candidates peers and addresses, at least one
     * @param protocol the protocol id (libp2p)
     * @return a lease on one of them
     * @throws GuardianPoolException the last candidate's failure, earlier ones suppressed in it
     */
    public PeerConnection acquireAny(List<PeerAddress> candidates, String protocol) {
        if (candidates == null || candidates.isEmpty()) {
            throw new IllegalArgumentException("candidates must hold at least one PeerAddress");
        }
        List<PeerAddress> remaining = new ArrayList<>(candidates.size());
        for (PeerAddress c : candidates) {
            if (c == null) {
                throw new IllegalArgumentException("candidates must not contain null: " + candidates);
            }
            remaining.add(c);
        }
        GuardianPoolException last = null;
        List<GuardianPoolException> earlier = new ArrayList<>();
        while (!remaining.isEmpty()) {
            PeerAddress pick = choose(remaining);
            try {
                return engine.acquire(pick.peerId(), pick.address(), protocol);
            } catch (PoolClosedException e) {
                throw e;
            } catch (GuardianPoolException e) {
                if (last != null) {
                    earlier.add(last);
                }
                last = e;
                remaining.remove(pick);
            }
        }
        for (GuardianPoolException e : earlier) {
            last.addSuppressed(e);
        }
        throw last;
    }

    PeerAddress choose(List<PeerAddress> remaining) {
        long now = engine.clock().nanoTime();
        List<PeerAddress> healthy = new ArrayList<>(remaining.size());
        List<PeerAddress> allowed = new ArrayList<>(remaining.size());
        for (PeerAddress c : remaining) {
            PeerSlot s = engine.slotOf(c.peerId());
            boolean open;
            boolean degraded = false;
            if (s == null) {
                open = false;
            } else {
                synchronized (s) {
                    open = !s.breaker.allowsCalls(now);
                }
                degraded = s.degraded;
            }
            if (!open) {
                allowed.add(c);
                if (!degraded) {
                    healthy.add(c);
                }
            }
        }
        List<PeerAddress> pool = !healthy.isEmpty() ? healthy : !allowed.isEmpty() ? allowed : remaining;
        int n = pool.size();
        if (n == 1) {
            return pool.get(0);
        }
        int i = Math.min(n - 1, (int) (random.getAsDouble() * n));
        int j = Math.min(n - 2, (int) (random.getAsDouble() * (n - 1)));
        if (j >= i) {
            j++;
        }
        PeerAddress a = pool.get(i);
        PeerAddress b = pool.get(j);
        return cost(b.peerId(), now) < cost(a.peerId(), now) ? b : a;
    }

    /** Peak-EWMA round trip × (leases in use + 1); an unmeasured peer costs nothing, so it gets tried. */
    double cost(PeerId peer, long now) {
        PeerSlot s = engine.slotOf(peer);
        if (s == null) {
            return 0.0;
        }
        int load;
        synchronized (s) {
            load = s.leased + s.dialing;
        }
        return s.latency.peakNanos(now) * (load + 1);
    }
}
