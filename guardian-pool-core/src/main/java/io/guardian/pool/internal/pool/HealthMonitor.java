package io.guardian.pool.internal.pool;

import io.guardian.pool.HealthReport;
import io.guardian.pool.health.PeerHealthMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Housekeeping, the health pass and the leak check. Not API.
 *
 * <p>Housekeeping is always on, from the engine's construction to its close: every
 * {@code health-check-interval} a pass advances breakers, closes idle connections that are dead,
 * idle too long or too old, marks leased ones past {@code max-lifetime}, and forgets unused peers;
 * leak checks run twice per {@code leak-detection-threshold}. {@link #start()} adds the PINGs
 * (and with them the scores) to those passes; {@link #stop()} removes them. Every background
 * pass's report goes to the engine's report listeners. A pass or check that throws is logged and
 * the cadence goes on: the next step is always scheduled.
 *
 * <p>A pass has two halves. The first, under each slot's lock in turn, advances breakers, closes
 * idle connections that are dead, idle too long or too old, and sends a PING on every remaining
 * idle connection at once (no thread per connection: each PING is a future completed by the
 * transport). The second, once every PONG arrived or {@code ping-timeout} passed, records round
 * trips and losses, fails connections with two losses in a row, scores every peer, raises
 * Degraded/Recovered on crossings only, reports leaks, and retires empty peers.
 *
 * <p>Scores come from {@link PeerScoring}, which also rescores unreachable peers.
 *
 * <p>{@link PoolEngine#checkHealth()} runs both halves on the calling thread. The monitor runs
 * the first on the housekeeper thread and the second there too when the PINGs settle, so the
 * housekeeper never blocks on the network. One pass at a time.
 */
final class HealthMonitor {

    private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);

    private final PoolEngine e;
    private final ReuseRule rule;
    private final LeakCheck leakCheck;
    private final Semaphore passPermit = new Semaphore(1);
    private final long intervalNanos;
    private final long pingTimeoutNanos;
    private final long leakPeriodNanos;
    private final long retentionNanos;

    private boolean housekeeping;
    /** Whether passes PING idle connections and score peers ({@link #start()}). */
    private boolean pings;
    private long nextPassNanos;
    private PoolScheduler.Cancellable nextTick;

    HealthMonitor(PoolEngine engine) {
        this.e = engine;
        this.rule = engine.rule();
        this.leakCheck = new LeakCheck(engine);
        this.intervalNanos = engine.config().healthCheckInterval().toNanos();
        this.pingTimeoutNanos = engine.config().pingTimeout().toNanos();
        // Leases are checked twice per threshold, so a leak is reported at most 1.5 thresholds late.
        this.leakPeriodNanos = engine.leakThresholdNanos() > 0 ? Math.max(1_000_000L, engine.leakThresholdNanos() / 2) : 0;
        // A peer with no connection is forgotten once it has been unused, and free of failures, for
        // as long as either an idle connection or an open breaker would have lasted.
        this.retentionNanos = Math.max(engine.config().idleTimeout().toNanos(),
                engine.config().circuitBreakerMaxOpenTimeout().toNanos());
    }

    // ------------------------------------------------------------ scheduling

    /** Starts the always-on housekeeping; the engine calls it once, when built. */
    synchronized void startHousekeeping() {
        if (!housekeeping) {
            housekeeping = true;
            nextPassNanos = e.clock().nanoTime() + intervalNanos;
            nextTick = e.scheduler().scheduleHousekeeping(this::tick, firstDelay());
        }
    }

    /** Adds PINGs to the passes; the first such pass runs one interval from now. */
    synchronized AutoCloseable start() {
        if (!pings) {
            pings = true;
            nextPassNanos = e.clock().nanoTime() + intervalNanos;
            if (housekeeping) {
                if (nextTick != null) {
                    nextTick.cancel();
                }
                nextTick = e.scheduler().scheduleHousekeeping(this::tick, firstDelay());
            }
        }
        return this::stopPings;
    }

    private long firstDelay() {
        return leakPeriodNanos > 0 ? Math.min(intervalNanos, leakPeriodNanos) : intervalNanos;
    }

    /** Removes the PINGs; housekeeping goes on. */
    synchronized void stopPings() {
        pings = false;
    }

    /** Stops everything (the engine is closing). */
    synchronized void stop() {
        pings = false;
        housekeeping = false;
        if (nextTick != null) {
            nextTick.cancel();
            nextTick = null;
        }
    }

    private void tick() {
        synchronized (this) {
            if (!housekeeping) {
                return;
            }
        }
        long delay = firstDelay();
        try {
            delay = step(e.clock().nanoTime());
        } catch (RuntimeException | Error ex) {
            // One bad pass must not end housekeeping: the next step keeps its cadence.
            LOG.warn("Guardian pool housekeeping step failed; the next runs in {} ms", delay / 1_000_000L, ex);
        } finally {
            synchronized (this) {
                if (housekeeping && !e.isClosed()) {
                    nextTick = e.scheduler().scheduleHousekeeping(this::tick, Math.max(0L, delay));
                }
            }
        }
    }

    /**
     * One monitor step: a leak check, and a health pass if one is due and none is running.
     *
     * @return nanoseconds until the next step
     */
    long step(long now) {
        if (leakPeriodNanos > 0) {
            leakCheck.run(now);
        }
        long next;
        boolean pass = false;
        boolean withPings;
        synchronized (this) {
            withPings = pings;
            if (now - nextPassNanos >= 0) {
                nextPassNanos = now + intervalNanos;
                // A pass still waiting for PONGs (slow peers) is not doubled up; the next is due later.
                pass = passPermit.tryAcquire();
            }
            next = nextPassNanos - now;
        }
        if (pass) {
            // Outside the monitor's lock: a pass takes slot locks and closes sockets.
            if (withPings) {
                startAsyncPass(now);
            } else {
                try {
                    e.events().publishReport(finish(begin(now, false)));
                } finally {
                    passPermit.release();
                }
            }
        }
        return leakPeriodNanos > 0 ? Math.min(next, leakPeriodNanos) : next;
    }

    private void startAsyncPass(long now) {
        Pass pass;
        try {
            pass = begin(now, true);
        } catch (RuntimeException | Error ex) {
            passPermit.release();
            throw ex;
        }
        AtomicBoolean finished = new AtomicBoolean();
        Runnable finish = () -> {
            if (finished.compareAndSet(false, true)) {
                try {
                    e.events().publishReport(finish(pass));
                } finally {
                    passPermit.release();
                }
            }
        };
        PoolScheduler.Cancellable guard = e.scheduler().scheduleHousekeeping(finish, 2 * pingTimeoutNanos);
        CompletableFuture.allOf(pass.pings.toArray(new CompletableFuture<?>[0]))
                .whenComplete((v, err) -> {
                    guard.cancel();
                    e.scheduler().scheduleHousekeeping(finish, 0L);
                });
    }

    /** Runs one pass on the calling thread, waiting for its PONGs. */
    HealthReport runNow() {
        passPermit.acquireUninterruptibly();
        try {
            Pass pass = begin(e.clock().nanoTime(), true);
            try {
                CompletableFuture.allOf(pass.pings.toArray(new CompletableFuture<?>[0]))
                        .get(2 * pingTimeoutNanos, TimeUnit.NANOSECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException ex) {
                // Individual failures are read per PING below; a PING still pending counts as lost.
            }
            return finish(pass);
        } finally {
            passPermit.release();
        }
    }

    // ------------------------------------------------------------ the pass

    private static final class Pass {
        final boolean withPings;
        final long startNanos;
        final Instant startedAt;
        final List<PooledConn> pinged = new ArrayList<>();
        final List<CompletableFuture<Long>> pings = new ArrayList<>();
        final List<PeerSlot> measured = new ArrayList<>();
        final List<PeerSlot> unreachable = new ArrayList<>();
        int evicted;
        int failed;

        Pass(boolean withPings, long startNanos, Instant startedAt) {
            this.withPings = withPings;
            this.startNanos = startNanos;
            this.startedAt = startedAt;
        }
    }

    private Pass begin(long now, boolean pings) {
        Pass pass = new Pass(pings, now, e.clock().wallAt(now));
        for (PeerSlot s : e.slotsView()) {
            Closings closings = new Closings(e);
            synchronized (s) {
                s.breaker.poll(now);
                if (!pings) {
                    // Housekeeping only: no PINGs, so nothing new to score.
                } else if (!s.conns.isEmpty()) {
                    pass.measured.add(s);
                } else if (s.dialFailures > 0 && s.lastScore != null) {
                    pass.unreachable.add(s);
                }
                for (PooledConn c : Arrays.copyOf(s.idle, s.idleCount)) {
                    ReuseRule.Verdict verdict = rule.idle(c, now);
                    if (verdict == ReuseRule.Verdict.DEAD) {
                        closings.detachLocked(s, c, c.closeReason, CloseKind.DEAD);
                        pass.failed++;
                    } else if (verdict == ReuseRule.Verdict.EXPIRED) {
                        closings.detachLocked(s, c, c.closeReason, CloseKind.EVICTED);
                        pass.evicted++;
                    } else if (pings) {
                        pass.pinged.add(c);
                    }
                }
                if (pings && s.busy > 0) {
                    // libp2p connections carry leases and PINGs side by side: measure those too.
                    for (PooledConn c : s.conns) {
                        if (c.state == PooledConn.LEASED && c.multiplexed && !c.failed) {
                            pass.pinged.add(c);
                        }
                    }
                }
                if (rule.hasLifetime()) {
                    for (PooledConn c : s.conns) {
                        if (c.state == PooledConn.LEASED && rule.tooOld(c, now) && !c.retireOnRelease) {
                            c.retire(rule.lifetimeReason(c, now));
                        }
                    }
                }
            }
            closings.finish();
        }
        Duration timeout = e.config().pingTimeout();
        for (PooledConn c : pass.pinged) {
            CompletableFuture<Long> f;
            try {
                f = c.transport.ping(timeout);
            } catch (RuntimeException ex) {
                f = CompletableFuture.failedFuture(ex);
            }
            pass.pings.add(f);
        }
        return pass;
    }

    private HealthReport finish(Pass pass) {
        long now = e.clock().nanoTime();
        Map<PeerSlot, long[]> perSlot = new IdentityHashMap<>(); // {rtt sum, answered, lost}
        int lost = 0;
        for (int i = 0; i < pass.pinged.size(); i++) {
            PooledConn c = pass.pinged.get(i);
            CompletableFuture<Long> f = pass.pings.get(i);
            Long rtt = null;
            if (f.isDone() && !f.isCompletedExceptionally()) {
                rtt = f.join();
            } else if (!f.isDone()) {
                f.cancel(false);
            }
            PeerSlot s = c.slot;
            synchronized (s) {
                if (c.state == PooledConn.CLOSED) {
                    // Closed since the PING went out (evicted, reclaimed, shutdown, or found dead
                    // and counted then): its PONG cannot come, and that says nothing of the peer.
                    continue;
                }
            }
            long[] agg = perSlot.computeIfAbsent(c.slot, k -> new long[3]);
            if (rtt != null) {
                e.recordLatency(c, rtt, now);
                agg[0] += rtt;
                agg[1]++;
                synchronized (s) {
                    c.pingsSent++;
                    c.consecutiveLosses = 0;
                    s.recordPing(false);
                }
                continue;
            }
            lost++;
            agg[2]++;
            if (c.transport.isOpen()) {
                // The round trip took at least ping-timeout: record that bound, so a peer that
                // stops answering looks slow to the score and to acquireAny, not just lossy.
                e.recordLatency(c, pingTimeoutNanos, now);
            }
            Closings dead = new Closings(e);
            synchronized (s) {
                c.pingsSent++;
                c.pingsLost++;
                c.consecutiveLosses++;
                s.recordPing(true);
                if (c.consecutiveLosses >= 2 || !c.transport.isOpen()) {
                    String reason = c.transport.isOpen()
                            ? c.consecutiveLosses + " PINGs in a row got no PONG within ping-timeout ("
                                    + e.config().pingTimeout() + ")"
                            : "socket closed";
                    if (c.state == PooledConn.IDLE) {
                        c.closedAsFailure = true;
                        dead.detachLocked(s, c, reason, CloseKind.DEAD);
                    } else if (c.state == PooledConn.LEASED && !c.failed) {
                        c.closeReason = reason;
                        c.failed = true; // closed when its holder returns it
                        pass.failed++;
                    }
                }
            }
            if (dead.size() > 0) {
                pass.failed++;
                dead.finish();
            }
        }
        int leaks = e.leakThresholdNanos() > 0 ? leakCheck.run(now) : 0;
        Instant wallNow = e.clock().wallAt(now);
        Map<io.guardian.pool.peer.PeerId, PeerHealthMetrics> scores = new HashMap<>();
        for (PeerSlot s : pass.measured) {
            scores.put(s.peerId, PeerScoring.score(e, s, perSlot.get(s), now, wallNow));
        }
        for (PeerSlot s : pass.unreachable) {
            PeerHealthMetrics m = PeerScoring.scoreUnreachable(e, s, now, wallNow);
            if (m != null) {
                scores.put(s.peerId, m);
            }
        }
        retire(now);
        pass.evicted += e.connectionManager().trim();
        return new HealthReport(pass.startedAt, Duration.ofNanos(Math.max(0L, now - pass.startNanos)),
                pass.pinged.size(), lost, pass.failed, pass.evicted, leaks, scores);
    }

    /** Forgets peers with nothing open, nothing waiting, and no recent use or failure. */
    private void retire(long now) {
        for (PeerSlot s : e.slotsView()) {
            synchronized (s) {
                if (s.conns.isEmpty() && s.reserved == 0 && s.dialing == 0 && s.waiterCount() == 0
                        && (s.protectTags == null || s.protectTags.isEmpty())
                        && now - s.lastUsedNanos > retentionNanos && s.breaker.retirable(now, retentionNanos)) {
                    e.forget(s);
                }
            }
        }
    }
}
