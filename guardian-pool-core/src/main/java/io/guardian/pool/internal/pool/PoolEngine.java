package io.guardian.pool.internal.pool;

import io.guardian.pool.CircuitBreakerOpenException;
import io.guardian.pool.ConnectionFailedException;
import io.guardian.pool.ConnectionTimeoutException;
import io.guardian.pool.DialTimeoutException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.HandshakeException;
import io.guardian.pool.HealthReport;
import io.guardian.pool.PeerAddress;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PeerSnapshot;
import io.guardian.pool.PoolClosedException;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.PoolExhaustedException;
import io.guardian.pool.PoolInterruptedException;
import io.guardian.pool.PoolObserver;
import io.guardian.pool.PoolStats;
import io.guardian.pool.RequestTimeoutException;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.event.ConnectionEventListener;
import io.guardian.pool.event.EventSubscription;
import io.guardian.pool.internal.transport.Connector;
import io.guardian.pool.internal.transport.FramedConnection;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's engine behind {@link io.guardian.pool.OptimizedConnectionPool}. Not API: its
 * methods and constructor may change at any time.
 *
 * <h2>Structure</h2>
 * One {@link PeerSlot} per peer in a {@link ConcurrentHashMap}, found with a plain {@code get}
 * on the fast path (no map write per acquire). Each slot has its own lock guarding its idle
 * stack, its counts, its waiters and its breaker. Across peers there is one atomic count of
 * global permits ({@link #totalOpen}: connections plus dials in progress) and, only while someone
 * waits at the global limit, a FIFO queue under {@link #globalLock}.
 *
 * <h2>Lock order</h2>
 * A slot lock, then {@code globalLock}. Never two slot locks at once (the reclaim scan takes them
 * one after another). No user code (listeners, future continuations) and no I/O runs under a
 * lock: events are only queued, futures are completed after unlocking, sockets closed after.
 *
 * <h2>Fast path</h2>
 * Acquire: map get, slot lock, pop an idle connection that passes the reuse check, allocate the
 * lease, unlock. Release: CAS the lease closed, slot lock, push back to idle, unlock. One
 * allocation (the lease) per pair; a stack trace is captured only with leak detection on.
 */
public final class PoolEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PoolEngine.class);
    /** Longest close grace honoured; longer ones are cut to it (keeps deadline arithmetic from overflowing). */
    private static final Duration MAX_GRACE = Duration.ofDays(365);

    /** Why a connection is being closed, for counting and for the Disconnected reason. */
    enum CloseKind {
        /** Closed by the pool while healthy: idle, expired, reclaimed, evicted on request. */
        EVICTED,
        /** Found dead by the pool: closed socket, lost PONGs. */
        DEAD,
        /** Failed under its holder: I/O or protocol error, {@code markFailed}. */
        FAILED,
        /** Pool shutdown. */
        SHUTDOWN
    }

    final PoolConfig config;
    final PeerId localPeer;
    final Connector connector;
    final PoolClock clock;
    final PoolScheduler scheduler;
    final DoubleSupplier random;
    final EventDispatcher events;
    final HealthMonitor monitor;

    final ConcurrentHashMap<PeerId, PeerSlot> slots = new ConcurrentHashMap<>();
    final ConcurrentHashMap<String, PooledConn> connsById = new ConcurrentHashMap<>();
    private final Set<Acquisition> inflight = ConcurrentHashMap.newKeySet();

    /** Global permits held: established connections plus acquisitions dialing. */
    final AtomicInteger totalOpen = new AtomicInteger();
    private final Object globalLock = new Object();
    private final ArrayDeque<Acquisition> globalWaiters = new ArrayDeque<>();
    private final AtomicInteger globalWaiterCount = new AtomicInteger();
    private final AtomicLong connectionSequence = new AtomicLong();

    final LongAdder created = new LongAdder();
    /**
     * Reuses counted by peers that have since been retired; the live peers count their own under
     * their lock ({@link PeerSlot#reuses}), so a reuse costs no shared atomic.
     */
    final AtomicLong retiredReuses = new AtomicLong();
    final LongAdder failed = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final LongAdder connectNanos = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final LongAdder leaks = new LongAdder();
    private final LongAdder latencySumNanos = new LongAdder();
    private final LongAdder latencySamples = new LongAdder();

    final int perPeerLimit;
    final int maxTotal;
    final boolean loadBalancing;
    final long idleTimeoutNanos;
    final long maxLifetimeNanos;
    final long leakThresholdNanos;
    private final long acquireTimeoutNanos;
    private final long acquireDeadlineNanos;
    private final IdHandles ids = new IdHandles(this);

    private volatile boolean closed;
    /** Guards the closing flag's transition and the graceful close's wait, signalled by releases. */
    private final Object closeLock = new Object();
    /** When a graceful close stops waiting for leases ({@link System#nanoTime()}); closeLock. */
    private long drainDeadline;
    private final CountDownLatch terminated = new CountDownLatch(1);
    /** Leases returned during a graceful close whose connection is still being closed. */
    private final AtomicInteger closingReleases = new AtomicInteger();
    private volatile boolean allLeasesReturned;
    /** Whether this engine still holds the shared {@link CoarseTicker} (the system clock's cached reading). */
    private final AtomicBoolean holdsTicker;

    /** Registered observers, copy-on-write; {@link Observers#NONE} when there are none (the usual case). */
    private volatile PoolObserver[] observers = Observers.NONE;
    private final Observers observerCalls = new Observers();
    private final Object observerLock = new Object();

    private PoolEngine(Builder b) {
        this.config = b.config;
        this.localPeer = b.localPeer;
        this.connector = b.connector;
        this.clock = b.clock;
        this.scheduler = b.scheduler != null ? b.scheduler : new HousekeeperScheduler();
        this.random = b.random != null ? b.random : () -> ThreadLocalRandom.current().nextDouble();
        this.events = new EventDispatcher(config.eventBufferSize());
        this.perPeerLimit = Math.min(config.maxConnectionsPerPeer(), config.maxTotalConnections());
        this.maxTotal = config.maxTotalConnections();
        this.loadBalancing = config.enableIntelligentLoadBalancing();
        this.idleTimeoutNanos = config.idleTimeout().toNanos();
        this.maxLifetimeNanos = config.maxLifetime().toNanos();
        this.leakThresholdNanos = config.leakDetectionThreshold().toNanos();
        this.acquireTimeoutNanos = config.acquireTimeout().toNanos();
        this.acquireDeadlineNanos = config.acquireDeadline().toNanos();
        this.monitor = new HealthMonitor(this);
        this.holdsTicker = new AtomicBoolean(clock == PoolClock.SYSTEM);
        if (holdsTicker.get()) {
            CoarseTicker.retain();
        }
    }

    /**
     * The production wiring: the Netty dialer authenticating as {@code local}, the system clock,
     * the housekeeper thread.
     *
     * @param config the settings
     * @param local this node's identity
     * @return a new engine that owns its dialer
     */
    public static PoolEngine create(PoolConfig config, PeerIdentity local) {
        return builder(config)
                .localPeer(local.peerId())
                .connector(DefaultConnector.create(local, config.protocol()))
                .build();
    }

    /**
     * A builder for tests and wiring that inject parts.
     *
     * @param config the settings
     * @return a builder with the system clock and the default scheduler
     */
    public static Builder builder(PoolConfig config) {
        return new Builder(config);
    }

    // ---------------------------------------------------------------- acquire

    /**
     * Leases a connection, blocking until one is available or the acquire fails.
     *
     * @param peer the peer
     * @param address where to dial it
     * @return the lease
     */
    public PeerConnection acquire(PeerId peer, Multiaddr address) {
        PoolObserver[] obs = observers;
        if (obs.length != 0) {
            return acquireObserved(peer, address, obs);
        }
        Object started = begin(peer, address);
        if (started instanceof Lease) {
            return (Lease) started;
        }
        return await((Acquisition) started);
    }

    /**
     * {@link #acquire} timed for observers: only this path reads the precise clock for them (the
     * engine's own bookkeeping reads the cheaper {@link PoolClock#coarseNanoTime()}).
     */
    private PeerConnection acquireObserved(PeerId peer, Multiaddr address, PoolObserver[] obs) {
        long start = clock.nanoTime();
        Lease lease;
        try {
            Object started = begin(peer, address);
            lease = started instanceof Lease ? (Lease) started : (Lease) await((Acquisition) started);
        } catch (GuardianPoolException e) {
            observerCalls.acquireFailed(obs, peer, clock.nanoTime() - start, e);
            throw e;
        }
        observerCalls.acquired(obs, peer, clock.nanoTime() - start, lease.reused);
        return lease;
    }

    /**
     * Leases a connection without blocking.
     *
     * @param peer the peer
     * @param address where to dial it
     * @return the future lease
     */
    public CompletableFuture<PeerConnection> acquireAsync(PeerId peer, Multiaddr address) {
        PoolObserver[] obs = observers;
        long start = obs.length != 0 ? clock.nanoTime() : 0L;
        Object started;
        try {
            started = begin(peer, address);
        } catch (RuntimeException e) {
            if (obs.length != 0 && e instanceof GuardianPoolException) {
                observerCalls.acquireFailed(obs, peer, clock.nanoTime() - start, (GuardianPoolException) e);
            }
            return CompletableFuture.failedFuture(e);
        }
        if (started instanceof Lease) {
            Lease lease = (Lease) started;
            if (obs.length != 0) {
                observerCalls.acquired(obs, peer, clock.nanoTime() - start, true);
            }
            return CompletableFuture.completedFuture(lease);
        }
        Acquisition a = (Acquisition) started;
        a.future.whenComplete((lease, error) -> {
            if (error instanceof CancellationException) {
                cancel(a);
            } else if (obs.length != 0) {
                if (error == null) {
                    Lease l = (Lease) lease;
                    observerCalls.acquired(obs, peer, clock.nanoTime() - start, l.reused);
                } else if (unwrap(error) instanceof GuardianPoolException) {
                    observerCalls.acquireFailed(obs, peer, clock.nanoTime() - start,
                            (GuardianPoolException) unwrap(error));
                }
            }
        });
        return a.future;
    }

    /**
     * Starts an acquire: returns a {@link Lease} when an idle connection was taken, or the
     * {@link Acquisition} now dialing or waiting.
     */
    private Object begin(PeerId peer, Multiaddr address) {
        if (peer == null) {
            throw new IllegalArgumentException("peerId must not be null");
        }
        if (address == null) {
            throw new IllegalArgumentException("address must not be null (the multiaddr to dial peer " + peer + " at)");
        }
        Throwable site = leakThresholdNanos > 0 ? new Throwable("connection acquired here") : null;
        while (true) {
            if (closed) {
                throw new PoolClosedException("the pool is closed; cannot acquire a connection to peer " + peer);
            }
            PeerSlot slot = slotFor(peer);
            if (slot.validatedAddress != address) {
                validateAddress(peer, address);
                slot.validatedAddress = address;
            }
            long now = clock.coarseNanoTime();
            List<PooledConn> stale = null;
            Acquisition next = null;
            Acquisition acq = null;
            Lease lease = null;
            RuntimeException reject = null;
            synchronized (slot) {
                if (slot.retired) {
                    continue;
                }
                if (closed) {
                    // Checked again under the lock: close() passes every slot under its lock after
                    // setting the flag, so nothing is leased or queued here behind its back.
                    throw new PoolClosedException("the pool is closed; cannot acquire a connection to peer " + peer);
                }
                boolean probe = false;
                if (!slot.breakerClosed) {
                    CircuitBreaker.Admission admission = slot.breaker.tryAcquire(now);
                    if (admission == CircuitBreaker.Admission.REJECT) {
                        rejected.increment();
                        throw slot.breaker.rejection(now);
                    }
                    probe = admission == CircuitBreaker.Admission.PROBE;
                }
                while (slot.idleCount > 0) {
                    PooledConn c = slot.takeIdle(loadBalancing);
                    String why = staleReason(c, now);
                    if (why == null) {
                        // A probe lease settles the half-open breaker when it is released, on
                        // what it did: taking an idle connection proves nothing yet.
                        lease = leaseLocked(slot, c, now, site, true, probe);
                        break;
                    }
                    c.state = PooledConn.IDLE;
                    slot.pushIdle(c); // detachLocked removes it again with the rest of its bookkeeping
                    detachLocked(slot, c, why);
                    if (stale == null) {
                        stale = new ArrayList<>(2);
                    }
                    stale.add(c);
                }
                if (lease == null) {
                    slot.lastAddress = address;
                    // Precise: its deadline counts from here.
                    acq = new Acquisition(slot, address, site, probe, clock.nanoTime());
                    if (stale != null) {
                        next = passRoomLocked(slot);
                    }
                }
                if (lease != null) {
                    acq = null;
                } else if (slot.open < perPeerLimit) {
                    slot.open++;
                    slot.reserved++;
                    acq.reserved = true;
                } else if (acquireTimeoutNanos == 0) {
                    if (probe) {
                        slot.breaker.releaseProbe();
                    }
                    reject = exhaustedPerPeer(slot);
                } else {
                    acq.state.set(Acquisition.WAITING_PEER);
                    slot.addWaiter(acq);
                }
            }
            if (stale != null) {
                for (PooledConn c : stale) {
                    finishClose(c, c.closeReason, c.closedAsFailure ? CloseKind.DEAD : CloseKind.EVICTED);
                }
            }
            if (next != null) {
                proceedGlobal(next);
            }
            if (reject != null) {
                throw reject;
            }
            if (lease != null) {
                return lease;
            }
            if (acq.reserved) {
                proceedGlobal(acq);
            } else if (acq.state.get() == Acquisition.WAITING_PEER) {
                armDeadline(acq);
            }
            return acq;
        }
    }

    private PeerSlot slotFor(PeerId peer) {
        PeerSlot s = slots.get(peer);
        if (s == null) {
            s = slots.computeIfAbsent(peer, this::newSlot);
        }
        return s;
    }

    private PeerSlot newSlot(PeerId peer) {
        PeerSlot slot = new PeerSlot(peer);
        slot.breaker = new CircuitBreaker(peer, config.effectiveFailureThreshold(),
                config.circuitBreakerOpenTimeout().toNanos(), config.circuitBreakerMaxOpenTimeout().toNanos(),
                config.backoffMultiplier(), random, events::publish,
                state -> slot.breakerClosed = state == CircuitState.CLOSED);
        slot.lastUsedNanos = clock.nanoTime();
        return slot;
    }

    private static void validateAddress(PeerId peer, Multiaddr address) {
        if (!address.isTcpDialable()) {
            throw new IllegalArgumentException("address " + address + " of peer " + peer + " is not dialable: the pool "
                    + "needs /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port other than 0>, optionally ending in /p2p/<peer-id>");
        }
        Optional<PeerId> named = address.peerId();
        if (named.isPresent() && !named.get().equals(peer)) {
            throw new IllegalArgumentException("address " + address + " names peer " + named.get()
                    + " but the connection was requested for peer " + peer + "; pass the matching PeerId or drop the"
                    + " /p2p/ suffix");
        }
    }

    /** @return why the idle connection may not be reused, or {@code null} if it may */
    private String staleReason(PooledConn c, long now) {
        if (c.failed) {
            c.closedAsFailure = true;
            c.closeReason = "failed earlier";
            return c.closeReason;
        }
        if (c.transport.reusable()) {
            return expiryReason(c, now);
        }
        if (!c.transport.isOpen()) {
            c.closedAsFailure = true;
            String reason = c.transport.closeReason();
            c.closeReason = "socket closed" + (reason != null ? " (" + reason + ")" : "");
            return c.closeReason;
        }
        // Open but not reusable: DATA is queued. Nobody asked while it sat idle, so the peer broke
        // request/reply; do not trust it again.
        c.closedAsFailure = true;
        c.closeReason = "peer sent DATA while the connection was idle";
        return c.closeReason;
    }

    /** @return why a reusable idle connection is too old to lend out, or {@code null} */
    private String expiryReason(PooledConn c, long now) {
        long idleFor = now - c.lastUsedNanos;
        if (idleFor >= idleTimeoutNanos) {
            c.closeReason = "idle for " + idleFor / 1_000_000L + " ms (idle-timeout " + config.idleTimeout() + ")";
            return c.closeReason;
        }
        if (maxLifetimeNanos > 0 && now - c.createdNanos >= maxLifetimeNanos) {
            c.closeReason = "open for " + (now - c.createdNanos) / 1_000_000L + " ms (max-lifetime "
                    + config.maxLifetime() + ")";
            return c.closeReason;
        }
        return null;
    }

    private Lease leaseLocked(PeerSlot slot, PooledConn c, long now, Throwable site, boolean reuse, boolean probe) {
        c.state = PooledConn.LEASED;
        if (reuse) {
            c.reuseCount++;
            slot.reuses++;
        }
        c.lastUsedNanos = now;
        slot.lastUsedNanos = now;
        slot.leased++;
        Lease lease = new Lease(this, c, now, site, reuse, ++c.leaseNumber);
        lease.probe = probe;
        c.lease = lease;
        return lease;
    }

    /**
     * Removes a connection from its slot's bookkeeping; the caller then calls
     * {@link #finishClose} outside the lock. Frees room under the peer limit, which the caller
     * passes on with {@link #passRoomLocked}.
     */
    private void detachLocked(PeerSlot slot, PooledConn c, String reason) {
        if (c.state == PooledConn.IDLE) {
            slot.removeIdle(c);
        } else if (c.state == PooledConn.LEASED) {
            slot.leased--;
            c.lease = null;
        } else {
            return;
        }
        if (c.closeReason == null) {
            c.closeReason = reason;
        }
        c.state = PooledConn.CLOSED;
        slot.bandwidthBps -= c.bandwidthBps();
        slot.conns.remove(c);
        slot.open--;
        slot.closedOperations += c.operations;
        if (slot.conns.isEmpty()) {
            slot.uptimeStartNanos = -1;
            slot.leaseBytes = 0;
            slot.leaseNanos = 0;
            slot.closedOperations = 0;
        }
    }

    /**
     * Gives freed room under the peer limit to the first live waiter of the peer, which then
     * needs a global permit ({@link #proceedGlobal}, called by the caller outside the lock).
     */
    private Acquisition passRoomLocked(PeerSlot slot) {
        if (slot.open >= perPeerLimit) {
            return null;
        }
        Acquisition w = pollWaiterLocked(slot);
        if (w != null) {
            slot.open++;
            slot.reserved++;
            w.reserved = true;
        }
        return w;
    }

    private static Acquisition pollWaiterLocked(PeerSlot slot) {
        Acquisition w;
        while ((w = slot.pollWaiter()) != null) {
            if (w.state.compareAndSet(Acquisition.WAITING_PEER, Acquisition.ACTIVE)) {
                return w;
            }
        }
        return null;
    }

    /** The acquisition holds room under its peer limit; it now needs a global permit to dial. */
    private void proceedGlobal(Acquisition a) {
        if (closed) {
            abort(a, closedWhileWaiting(a));
            return;
        }
        if (globalWaiterCount.get() == 0 && tryReservePermit()) {
            a.permit = true;
            startDial(a);
            return;
        }
        List<Acquisition> granted;
        synchronized (globalLock) {
            a.state.set(Acquisition.WAITING_GLOBAL);
            globalWaiters.addLast(a);
            globalWaiterCount.incrementAndGet();
            // Enqueue first, then try: a permit released in between is then never missed.
            granted = drainGlobalLocked();
        }
        startAll(granted);
        if (a.state.get() == Acquisition.WAITING_GLOBAL) {
            long defer = reclaimDeferral(a.slot);
            if (defer == 0) {
                reclaimIdle(a.slot);
            } else {
                // Cost-aware: a lease of its own peer is expected back sooner than a dial would
                // take, so wait for it (a release hands it over) rather than close another peer's
                // connection and dial; if none came back within the dial's cost, reclaim then.
                a.reclaimNotBefore = clock.nanoTime() + defer;
                a.reclaimDeferred = true;
                a.reclaimTimer = scheduler.schedule(() -> {
                    if (a.state.get() == Acquisition.WAITING_GLOBAL) {
                        reclaimIdle(a.slot);
                    }
                }, defer);
            }
        }
        if (a.state.get() == Acquisition.WAITING_GLOBAL) {
            if (acquireTimeoutNanos == 0) {
                onDeadline(a);
            } else {
                armDeadline(a);
            }
        }
    }

    /**
     * How long a caller at the global limit should wait for a lease of its own peer before a
     * connection of another peer is closed to make room for its dial: the measured average dial
     * (connect plus handshake) when the peer has leases out and one is expected back sooner than
     * that (its average lease hold divided by the leases out), else zero (reclaim now: a dial is
     * needed anyway, or waiting would cost more than dialing).
     */
    private long reclaimDeferral(PeerSlot slot) {
        long dials = created.sum();
        long dialNanos = dials == 0 ? 0L : connectNanos.sum() / dials;
        if (dialNanos <= 0) {
            return 0L;
        }
        synchronized (slot) {
            if (slot.leased == 0) {
                return 0L;
            }
            long hold = slot.holdsEnded == 0 ? dialNanos : slot.holdNanos / slot.holdsEnded;
            return hold / slot.leased < dialNanos ? dialNanos : 0L;
        }
    }

    private List<Acquisition> drainGlobalLocked() {
        List<Acquisition> granted = null;
        Acquisition head;
        while ((head = globalWaiters.peekFirst()) != null) {
            if (head.state.get() != Acquisition.WAITING_GLOBAL) {
                globalWaiters.pollFirst();
                globalWaiterCount.decrementAndGet();
                continue;
            }
            if (!tryReservePermit()) {
                break;
            }
            globalWaiters.pollFirst();
            globalWaiterCount.decrementAndGet();
            if (head.state.compareAndSet(Acquisition.WAITING_GLOBAL, Acquisition.ACTIVE)) {
                head.permit = true;
                if (granted == null) {
                    granted = new ArrayList<>(1);
                }
                granted.add(head);
            } else {
                totalOpen.decrementAndGet();
            }
        }
        return granted;
    }

    private void startAll(List<Acquisition> granted) {
        if (granted != null) {
            for (Acquisition g : granted) {
                startDial(g);
            }
        }
    }

    private boolean tryReservePermit() {
        while (true) {
            int n = totalOpen.get();
            if (n >= maxTotal) {
                return false;
            }
            if (totalOpen.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives one global permit back, handing it to the first global waiter if there is one. */
    private void releasePermit() {
        totalOpen.decrementAndGet();
        if (globalWaiterCount.get() > 0) {
            List<Acquisition> granted;
            synchronized (globalLock) {
                granted = drainGlobalLocked();
            }
            startAll(granted);
        }
    }

    /**
     * Closes the least recently used idle connection of a peer other than {@code exclude}, to
     * make room at the global limit. Scans every slot: this runs only when someone waits at the
     * global limit.
     *
     * @return whether a connection was closed
     */
    private boolean reclaimIdle(PeerSlot exclude) {
        for (int tries = 0; tries < 3; tries++) {
            PeerSlot best = null;
            long bestUsed = Long.MAX_VALUE;
            for (PeerSlot s : slots.values()) {
                if (s == exclude) {
                    continue;
                }
                synchronized (s) {
                    if (s.idleCount > 0 && (best == null || s.idle[0].lastUsedNanos - bestUsed < 0)) {
                        best = s;
                        bestUsed = s.idle[0].lastUsedNanos;
                    }
                }
            }
            if (best == null) {
                return false;
            }
            PooledConn victim = null;
            Acquisition next = null;
            synchronized (best) {
                if (best.idleCount > 0) {
                    victim = best.idle[0];
                    detachLocked(best, victim, "closed to make room for another peer at max-total-connections ("
                            + maxTotal + ")");
                    next = passRoomLocked(best);
                }
            }
            if (victim != null) {
                finishClose(victim, victim.closeReason, CloseKind.EVICTED);
                if (next != null) {
                    proceedGlobal(next);
                }
                return true;
            }
        }
        return false;
    }

    private void armDeadline(Acquisition a) {
        if (!a.markTimerArmed()) {
            return;
        }
        long delay = Math.max(0L, a.startedNanos + acquireTimeoutNanos - clock.nanoTime());
        a.timer = scheduler.schedule(() -> onDeadline(a), delay);
    }

    /** The acquire timeout passed: fail the acquisition if it is still waiting. */
    private void onDeadline(Acquisition a) {
        int s = a.state.get();
        if (s == Acquisition.WAITING_PEER && a.state.compareAndSet(s, Acquisition.DONE)) {
            synchronized (a.slot) {
                a.slot.removeWaiter(a);
                if (a.probe) {
                    a.slot.breaker.releaseProbe();
                    a.probe = false;
                }
            }
            a.future.completeExceptionally(exhaustedPerPeer(a.slot));
        } else if (s == Acquisition.WAITING_GLOBAL && a.state.compareAndSet(s, Acquisition.DONE)) {
            removeGlobalWaiter(a);
            releaseResources(a);
            a.future.completeExceptionally(new PoolExhaustedException("no connection to peer " + a.slot.peerId
                    + " became free within acquire-timeout (" + config.acquireTimeout() + "): the pool's limit "
                    + "max-total-connections (" + maxTotal + ") is reached and every connection is in use; release "
                    + "connections sooner, or raise max-total-connections or acquire-timeout"));
        }
    }

    private void removeGlobalWaiter(Acquisition a) {
        synchronized (globalLock) {
            if (globalWaiters.remove(a)) {
                globalWaiterCount.decrementAndGet();
            }
        }
    }

    private PoolExhaustedException exhaustedPerPeer(PeerSlot slot) {
        return new PoolExhaustedException("no connection to peer " + slot.peerId + " became free within "
                + "acquire-timeout (" + config.acquireTimeout() + "): the peer's limit max-connections-per-peer ("
                + perPeerLimit + ") is reached; release connections sooner, or raise max-connections-per-peer or "
                + "acquire-timeout");
    }

    // ---------------------------------------------------------------- dial

    private void startDial(Acquisition a) {
        synchronized (a.slot) {
            a.slot.dialing++;
            a.dialing = true;
        }
        PoolScheduler.Cancellable t = a.timer;
        if (t != null) {
            t.cancel();
        }
        inflight.add(a);
        if (closed) {
            abort(a, closedWhileWaiting(a));
            return;
        }
        attempt(a);
    }

    private void attempt(Acquisition a) {
        if (closed) {
            abort(a, closedWhileWaiting(a));
            return;
        }
        if (a.state.get() != Acquisition.ACTIVE) {
            return; // expired or aborted while the retry was pending
        }
        long left = a.startedNanos + acquireDeadlineNanos - clock.nanoTime();
        if (left <= 0) {
            abort(a, deadlinePassed(a));
            return;
        }
        PeerSlot slot = a.slot;
        if (!a.probe) {
            // No dial goes through an open breaker: not a retry, and not a caller who queued at a
            // limit before the breaker opened. A half-open breaker lends the dial its probe.
            RuntimeException rejection = null;
            synchronized (slot) {
                if (slot.breaker.state != CircuitState.CLOSED) {
                    long now = clock.nanoTime();
                    CircuitBreaker.Admission admission = slot.breaker.tryAcquire(now);
                    if (admission == CircuitBreaker.Admission.REJECT) {
                        rejection = slot.breaker.rejection(now);
                    }
                    a.probe = admission == CircuitBreaker.Admission.PROBE;
                }
            }
            if (rejection != null) {
                if (a.attempt == 0) {
                    rejected.increment();
                    abort(a, rejection);
                } else {
                    abort(a, a.lastError);
                }
                return;
            }
        }
        a.attemptStartNanos = clock.nanoTime();
        // The dial's own timeout never outlasts the acquire's deadline.
        Duration timeout = left < config.connectionTimeout().toNanos() ? Duration.ofNanos(left)
                : config.connectionTimeout();
        CompletableFuture<FramedConnection> f;
        try {
            f = connector.connect(slot.peerId, a.address, timeout);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        a.connect = f;
        // Handled on the JDK's async pool, never on the transport's thread that completed the
        // dial (a Netty event loop or its offload executor): the acquisition's future completes
        // from here, and a caller's thenApply(lease -> lease.request(...)) on an event loop would
        // block the very loop that must deliver the reply.
        f.whenCompleteAsync((fc, error) -> {
            try {
                onAttemptDone(a, fc, error);
            } catch (RuntimeException | Error unexpected) {
                // A bug here must not park the caller: fail the acquisition (a no-op if it already
                // completed) and drop a connection nobody will own.
                LOG.warn("Guardian pool: handling the dial of peer {} failed unexpectedly", slot.peerId, unexpected);
                if (fc != null && a.state.get() != Acquisition.DONE) {
                    fc.close("pool error");
                }
                abort(a, new ConnectionFailedException("acquiring a connection to peer " + slot.peerId
                        + " failed unexpectedly: " + unexpected, unexpected));
            }
        });
    }

    /** The acquire's one overall bound passed: the last dial's failure, or a dial timeout naming the setting. */
    private RuntimeException deadlinePassed(Acquisition a) {
        if (a.lastError instanceof RuntimeException) {
            return (RuntimeException) a.lastError;
        }
        return new DialTimeoutException("no connection to peer " + a.slot.peerId + " at " + a.address + " within "
                + "acquire-deadline (" + config.acquireDeadline() + "); raise acquire-deadline, or check that the "
                + "peer is reachable");
    }

    /**
     * The blocking caller's wait reached the acquire deadline: whatever the acquisition is doing,
     * it ends now (a wait as exhausted, a dial with its failure so far).
     */
    private void expire(Acquisition a) {
        int s = a.state.get();
        if (s == Acquisition.WAITING_PEER || s == Acquisition.WAITING_GLOBAL) {
            onDeadline(a);
        } else if (s == Acquisition.ACTIVE) {
            CompletableFuture<FramedConnection> f = a.connect;
            abort(a, deadlinePassed(a));
            if (f != null) {
                f.cancel(true);
            }
        }
    }

    private void onAttemptDone(Acquisition a, FramedConnection fc, Throwable error) {
        long now = clock.nanoTime();
        PeerSlot slot = a.slot;
        PoolObserver[] obs = observers;
        if (error == null) {
            if (obs.length != 0) {
                observerCalls.dialed(obs, slot.peerId, now - a.attemptStartNanos);
            }
            long rtt = fc.handshakeRttNanos();
            PooledConn c = new PooledConn(newConnectionId(slot.peerId), slot, fc, a.address, now);
            Lease lease = null;
            synchronized (slot) {
                if (!closed && a.state.get() == Acquisition.ACTIVE) {
                    slot.dialing--;
                    slot.reserved--;
                    a.dialing = false;
                    a.reserved = false;
                    a.permit = false; // now held by the connection
                    if (slot.conns.isEmpty()) {
                        slot.uptimeStartNanos = now;
                    }
                    slot.conns.add(c);
                    connsById.put(c.id, c);
                    // A probe's dial hands the probe on to its lease, which settles it at release.
                    lease = leaseLocked(slot, c, now, a.site, false, a.probe);
                    if (!a.probe) {
                        slot.breaker.onSuccess(false, now);
                    }
                    slot.dialFailures = 0;
                    a.probe = false;
                    events.publish(new ConnectionEvent.Connected(slot.peerId, rtt / 1_000_000.0));
                }
            }
            if (lease == null) {
                fc.close("pool closed");
                abort(a, closedWhileWaiting(a));
                return;
            }
            created.increment();
            connectNanos.add(now - a.attemptStartNanos);
            recordLatency(c, rtt, now);
            fc.closeFuture().whenComplete((v, e) -> onTransportClosed(c));
            inflight.remove(a);
            complete(a, lease);
            return;
        }
        Throwable cause = unwrap(error);
        boolean cancelled = cause instanceof CancellationException;
        boolean breakerOpen = false;
        if (!cancelled) {
            if (obs.length != 0) {
                observerCalls.dialFailed(obs, slot.peerId, now - a.attemptStartNanos, cause);
            }
            if (isTimeout(cause)) {
                timeouts.increment();
            } else {
                failed.increment();
            }
            synchronized (slot) {
                slot.breaker.onFailure(a.probe, now);
                slot.dialFailures++;
                a.probe = false;
                breakerOpen = slot.breaker.state == CircuitState.OPEN;
            }
        }
        a.lastError = typed(cause, slot.peerId, a.address);
        if (closed || cancelled) {
            abort(a, closed ? closedWhileWaiting(a) : a.lastError);
            return;
        }
        if (a.state.get() != Acquisition.ACTIVE) {
            return; // expired meanwhile: nobody waits for a retry
        }
        long delay = 0;
        boolean retry = retryable(a.lastError) && a.attempt < config.maxRetryAttempts() && !breakerOpen;
        if (retry) {
            delay = backoffNanos(a.attempt + 1);
            // No retry that would start after the acquire's deadline: fail now with the real cause.
            retry = now + delay - (a.startedNanos + acquireDeadlineNanos) < 0;
        }
        if (retry) {
            a.attempt++;
            LOG.debug("Dial {} to peer {} at {} failed ({}); retry {} of {} in {} ms", a.attempt, slot.peerId,
                    a.address, cause.toString(), a.attempt, config.maxRetryAttempts(), delay / 1_000_000L);
            a.retry = scheduler.schedule(() -> attempt(a), delay);
            return;
        }
        abort(a, a.lastError);
    }

    /**
     * The wait before retry {@code n} (1-based): {@code initial × multiplier^(n-1)}, capped at
     * {@code max-retry-backoff}, with equal jitter (half fixed, half random), so that callers who
     * failed together spread out but none retries almost at once.
     */
    long backoffNanos(int n) {
        double base = config.initialRetryBackoff().toNanos() * Math.pow(config.backoffMultiplier(), n - 1);
        double capped = Math.min(base, config.maxRetryBackoff().toNanos());
        return (long) (capped / 2 + random.getAsDouble() * capped / 2);
    }

    private static boolean retryable(Throwable cause) {
        return cause instanceof GuardianPoolException && ((GuardianPoolException) cause).retryable();
    }

    private static boolean isTimeout(Throwable cause) {
        if (cause instanceof TransportException) {
            return ((TransportException) cause).kind() == TransportException.Kind.TIMED_OUT;
        }
        return cause instanceof ConnectionTimeoutException
                || (cause instanceof HandshakeException
                        && ((HandshakeException) cause).reason() == HandshakeException.Reason.TIMEOUT);
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static RuntimeException typed(Throwable cause, PeerId peer, Multiaddr address) {
        if (cause instanceof TransportException) {
            return DialFailures.toPublic((TransportException) cause, peer, address);
        }
        if (cause instanceof ConnectionTimeoutException && !(cause instanceof DialTimeoutException)
                && !(cause instanceof RequestTimeoutException)) {
            // A dial's timeout: nothing reached the peer on the caller's behalf, so it may be retried.
            return new DialTimeoutException(cause.getMessage(), cause);
        }
        if (cause instanceof RuntimeException) {
            return (RuntimeException) cause;
        }
        return new ConnectionFailedException("dialing peer " + peer + " at " + address + " failed: " + cause, cause);
    }

    private String newConnectionId(PeerId peer) {
        return "conn_" + peer.toBase58() + "_" + Long.toHexString(connectionSequence.incrementAndGet());
    }

    private void complete(Acquisition a, Lease lease) {
        a.cancelTimers();
        if (!a.state.compareAndSet(Acquisition.ACTIVE, Acquisition.DONE) || !a.future.complete(lease)) {
            // The caller gave up (cancelled or interrupted) meanwhile: the connection goes back.
            lease.close();
        }
    }

    /** Fails an active acquisition and gives back what it holds. Only the first call acts. */
    private void abort(Acquisition a, Throwable error) {
        if (!a.state.compareAndSet(Acquisition.ACTIVE, Acquisition.DONE)) {
            return;
        }
        a.cancelTimers();
        inflight.remove(a);
        releaseResources(a);
        a.future.completeExceptionally(error);
    }

    private void releaseResources(Acquisition a) {
        Acquisition next = null;
        PeerSlot slot = a.slot;
        synchronized (slot) {
            if (a.dialing) {
                slot.dialing--;
                a.dialing = false;
            }
            if (a.reserved) {
                slot.open--;
                slot.reserved--;
                a.reserved = false;
                next = passRoomLocked(slot);
            }
            if (a.probe) {
                slot.breaker.releaseProbe();
                a.probe = false;
            }
        }
        if (a.permit) {
            a.permit = false;
            releasePermit();
        }
        if (next != null) {
            proceedGlobal(next);
        }
    }

    private PeerConnection await(Acquisition a) {
        try {
            try {
                // Bounded too: the acquisition ends itself by its deadline, and this wait is the
                // safety net, so no caller ever parks longer whatever happens on other threads.
                return a.future.get(acquireDeadlineNanos, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                expire(a);
                return a.future.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            a.future.cancel(false);
            cancel(a);
            // The caller's decision: not retryable, and never charged to the peer.
            throw new PoolInterruptedException("interrupted while waiting for a connection to peer "
                    + a.slot.peerId + " (the thread's interrupt flag is set)", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof GuardianPoolException) {
                GuardianPoolException g = (GuardianPoolException) cause;
                g.addSuppressed(new Throwable("awaited by " + Thread.currentThread().getName()));
                throw g;
            }
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new ConnectionFailedException("acquiring a connection to peer " + a.slot.peerId + " failed", cause);
        }
    }

    /** The caller gave up: leave the queue if still in one; a dial under way finishes and is pooled. */
    private void cancel(Acquisition a) {
        int s = a.state.get();
        if (s == Acquisition.WAITING_PEER && a.state.compareAndSet(s, Acquisition.DONE)) {
            a.cancelTimers();
            synchronized (a.slot) {
                a.slot.removeWaiter(a);
                if (a.probe) {
                    a.slot.breaker.releaseProbe();
                    a.probe = false;
                }
            }
        } else if (s == Acquisition.WAITING_GLOBAL && a.state.compareAndSet(s, Acquisition.DONE)) {
            a.cancelTimers();
            removeGlobalWaiter(a);
            releaseResources(a);
        }
    }

    // ---------------------------------------------------------------- release and close

    /**
     * Ends a lease (called once per lease, by {@link Lease}): back to idle, straight to a waiter,
     * or closed if it failed, expired, or must make room at the global limit.
     */
    void release(Lease lease, Throwable failure) {
        PooledConn c = lease.conn;
        PeerSlot slot = c.slot;
        long now = clock.coarseNanoTime();
        // DATA moves only through the lease, so an untouched lease moved nothing: skip the counters.
        long bytes = lease.touched ? c.bytesMoved() : -1L;
        // Unread DATA (a reply the holder never took, or something the peer sent unasked) would be
        // the next holder's "reply": such a connection is closed, never pooled.
        // The flags set by others (evict, the health pass) are read again under the lock below, so
        // an evict racing this release is never lost.
        boolean healthy = failure == null && c.transport.reusable()
                && (maxLifetimeNanos == 0 || now - c.createdNanos < maxLifetimeNanos);
        Lease handed = null;
        Acquisition handedTo = null;
        Acquisition next = null;
        boolean detached = false;
        boolean closing;
        synchronized (slot) {
            if (c.state != PooledConn.LEASED || c.lease != lease) {
                if (lease.probe) {
                    slot.breaker.releaseProbe(); // closed by shutdown: the probe tells nothing
                    lease.probe = false;
                }
                return; // closed under the holder by shutdown or a dead socket; nothing to return
            }
            healthy &= !c.failed && !c.retireOnRelease;
            // Read under the lock: a graceful close passes this slot after setting the flag, so a
            // lease returned from then on is closed, never pooled behind the close's back.
            closing = closed;
            if (closing) {
                healthy = false;
            }
            long held = Math.max(0L, now - lease.acquiredNanos); // coarse and precise readings mix
            long moved = 0L;
            if (bytes >= 0) {
                moved = bytes - c.bytesAtRelease;
                c.bytesAtRelease = bytes;
            }
            slot.bandwidthBps -= c.bandwidthBps();
            c.leaseBytes += moved;
            c.leaseNanos += held;
            slot.bandwidthBps += c.bandwidthBps();
            slot.holdNanos += held;
            slot.holdsEnded++;
            slot.leaseBytes += moved;
            slot.leaseNanos += held;
            slot.lastUsedNanos = now;
            if (failure != null || c.failed) {
                // The holder's report, a broken socket, a protocol error or an unanswered request:
                // each is the peer failing this caller. A half-open breaker reopens on its probe.
                slot.breaker.onFailure(lease.probe, now);
            } else if (lease.probe) {
                // The half-open probe's lease ended well: that, not the taking of it, is the success.
                slot.breaker.onSuccess(true, now);
            }
            lease.probe = false;
            if (!healthy) {
                c.closedAsFailure = failure != null || c.failed || !c.transport.isOpen();
                detachLocked(slot, c, releaseReason(c, failure, now));
                next = passRoomLocked(slot);
                detached = true;
                if (closing) {
                    // Counted before the lease stops counting as leased (same lock), so a graceful
                    // close never sees "nothing out" while this release is still closing its socket.
                    closingReleases.incrementAndGet();
                }
            } else {
                c.lastUsedNanos = now;
                Acquisition w = pollWaiterLocked(slot);
                if (w == null && globalWaiterCount.get() > 0) {
                    Object claim = claimGlobalHeadLocked(slot);
                    if (claim == KEEP) {
                        claim = null; // the head waits for its own peer's lease: pool this one
                    } else if (claim == RECLAIM) {
                        detachLocked(slot, c, "closed to make room for another peer at max-total-connections ("
                                + maxTotal + ")");
                        next = passRoomLocked(slot);
                        detached = true;
                    } else {
                        w = (Acquisition) claim;
                    }
                }
                if (w != null) {
                    slot.leased--;
                    handed = leaseLocked(slot, c, now, w.site, true, w.probe);
                    handedTo = w;
                    w.probe = false; // now the lease's, settled at its release
                } else if (!detached) {
                    slot.leased--;
                    c.lease = null;
                    c.state = PooledConn.IDLE;
                    c.pooledAtNanos = now;
                    slot.pushIdle(c);
                }
            }
        }
        if (detached) {
            CloseKind kind = failure != null || c.failed ? CloseKind.FAILED
                    : c.closedAsFailure ? CloseKind.DEAD : closing ? CloseKind.SHUTDOWN : CloseKind.EVICTED;
            try {
                finishClose(c, c.closeReason, kind);
            } finally {
                if (closing) {
                    closingReleases.decrementAndGet();
                    synchronized (closeLock) {
                        closeLock.notifyAll(); // a graceful close may be waiting for this lease
                    }
                }
            }
            if (failure != null) {
                LOG.debug("Connection {} to peer {} marked failed by its holder", c.id, slot.peerId, failure);
            }
        }
        if (next != null) {
            proceedGlobal(next);
        }
        if (handedTo != null) {
            complete(handedTo, handed);
        }
    }

    private String releaseReason(PooledConn c, Throwable failure, long now) {
        if (failure != null) {
            return "marked failed by its holder: " + failure;
        }
        if (c.failed || !c.transport.isOpen()) {
            String r = c.transport.closeReason();
            return "failed during its lease" + (r != null ? " (" + r + ")" : "");
        }
        if (closed) {
            return "pool closed";
        }
        if (c.retireOnRelease) {
            return c.closeReason != null ? c.closeReason : "evicted";
        }
        return "open for " + (now - c.createdNanos) / 1_000_000L + " ms (max-lifetime " + config.maxLifetime() + ")";
    }

    /** Marker from {@link #claimGlobalHeadLocked}: close the connection to free a permit. */
    private static final Object RECLAIM = new Object();
    /** Marker from {@link #claimGlobalHeadLocked}: the head waits for its own peer; keep the connection. */
    private static final Object KEEP = new Object();

    /**
     * At the global limit with waiters: if the first global waiter wants this slot's peer, takes
     * it (its room under the peer limit is given back, since it gets an existing connection).
     * Returns {@link #RECLAIM} if the head wants another peer, so the caller closes the
     * connection to free a permit for it, and {@code null} if nobody is waiting after all.
     */
    private Object claimGlobalHeadLocked(PeerSlot slot) {
        synchronized (globalLock) {
            Acquisition head = null;
            for (java.util.Iterator<Acquisition> it = globalWaiters.iterator(); it.hasNext();) {
                Acquisition w = it.next();
                if (w.state.get() != Acquisition.WAITING_GLOBAL) {
                    it.remove();
                    globalWaiterCount.decrementAndGet();
                    continue;
                }
                if (w.slot != slot) {
                    if (head == null) {
                        head = w;
                    }
                    continue;
                }
                // A waiter for this very peer takes the connection: no permit changes hands, so
                // the waiters ahead of it (for other peers) lose nothing, and nobody dials.
                it.remove();
                globalWaiterCount.decrementAndGet();
                if (w.state.compareAndSet(Acquisition.WAITING_GLOBAL, Acquisition.ACTIVE)) {
                    slot.open--;
                    slot.reserved--;
                    w.reserved = false;
                    w.cancelTimers();
                    return w;
                }
            }
            if (head == null) {
                // Every queued waiter had given up: nobody needs the room after all.
                return null;
            }
            // The head needs a dial to another peer. Closing this connection for it costs a dial;
            // while the head still expects a lease of its own peer back sooner, keep this one.
            return head.reclaimDeferred && clock.nanoTime() - head.reclaimNotBefore < 0 ? KEEP : RECLAIM;
        }
    }

    /** The socket closed on its own (peer, network): drop the connection now if it is idle. */
    private void onTransportClosed(PooledConn c) {
        PeerSlot slot = c.slot;
        Acquisition next;
        synchronized (slot) {
            if (c.state != PooledConn.IDLE) {
                return; // leased: its holder sees the error and the release closes it
            }
            c.closedAsFailure = true;
            String r = c.transport.closeReason();
            detachLocked(slot, c, "closed by the peer or the network" + (r != null ? " (" + r + ")" : ""));
            next = passRoomLocked(slot);
        }
        finishClose(c, c.closeReason, CloseKind.DEAD);
        if (next != null) {
            proceedGlobal(next);
        }
    }

    /** Closes a detached connection's socket, frees its permit, counts it, reports it. */
    void finishClose(PooledConn c, String reason, CloseKind kind) {
        connsById.remove(c.id, c);
        try {
            c.transport.close(reason);
        } catch (RuntimeException e) {
            LOG.debug("Closing connection {} failed", c.id, e);
        }
        releasePermit();
        switch (kind) {
            case EVICTED:
                evictions.increment();
                break;
            case DEAD:
                evictions.increment();
                failed.increment();
                break;
            case FAILED:
                failed.increment();
                break;
            default:
                break;
        }
        events.publish(new ConnectionEvent.Disconnected(c.slot.peerId, c.id + ": " + reason));
    }

    /**
     * Detaches connections chosen by the health pass (under each slot's lock) and closes them.
     * Not API.
     */
    void closeDetached(List<PooledConn> detached, List<Acquisition> continuations, CloseKind kind) {
        for (PooledConn c : detached) {
            finishClose(c, c.closeReason, kind);
        }
        for (Acquisition a : continuations) {
            proceedGlobal(a);
        }
    }

    /** Detach for the health pass; returns a continuation to run after unlocking, or null. */
    Acquisition detachForHealthLocked(PeerSlot slot, PooledConn c, String reason, boolean failure) {
        c.closedAsFailure = failure;
        detachLocked(slot, c, reason);
        return passRoomLocked(slot);
    }

    // ---------------------------------------------------------------- measurements

    void recordLatency(PooledConn c, long rttNanos) {
        recordLatency(c, rttNanos, clock.nanoTime());
    }

    void recordLatency(PooledConn c, long rttNanos, long now) {
        c.latency.record(rttNanos, now);
        c.slot.latency.record(rttNanos, now);
        latencySumNanos.add(rttNanos);
        latencySamples.increment();
    }

    double globalAvgLatencyMs() {
        long n = latencySamples.sum();
        return n == 0 ? 0.0 : latencySumNanos.sum() / (double) n / 1_000_000.0;
    }

    // ---------------------------------------------------------------- across peers

    /**
     * Power of two choices across candidates on peak-EWMA round trip × (leased + 1); open
     * breakers and degraded peers are skipped while a healthy candidate is left.
     *
     * @param candidates peers and addresses
     * @return a lease on one of them
     */
    public PeerConnection acquireAny(List<PeerAddress> candidates) {
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
                PeerConnection lease = acquire(pick.peerId(), pick.address());
                return lease;
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
        long now = clock.nanoTime();
        List<PeerAddress> healthy = new ArrayList<>(remaining.size());
        List<PeerAddress> allowed = new ArrayList<>(remaining.size());
        for (PeerAddress c : remaining) {
            PeerSlot s = slots.get(c.peerId());
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
        PeerSlot s = slots.get(peer);
        if (s == null) {
            return 0.0;
        }
        int load;
        synchronized (s) {
            load = s.leased + s.dialing;
        }
        return s.latency.peakNanos(now) * (load + 1);
    }

    // ---------------------------------------------------------------- ids, breakers, admin

    /**
     * The lease behind an id.
     *
     * @param connectionId the id
     * @return its current lease
     */
    public PeerConnection connection(String connectionId) {
        return ids.connection(connectionId);
    }

    /**
     * Leases a connection for the id API.
     *
     * @param peer the peer
     * @param address where to dial it
     * @return an id naming this lease only (see {@link IdHandles})
     */
    public String getConnection(PeerId peer, Multiaddr address) {
        return ids.getConnection(peer, address);
    }

    /** @return the connection's current lease, or {@code null} if it is idle or closed */
    Lease currentLease(PooledConn c) {
        synchronized (c.slot) {
            return c.state == PooledConn.LEASED ? c.lease : null;
        }
    }

    /** @return the open connection with this id, or {@code null} */
    PooledConn connectionById(String connectionId) {
        return connsById.get(connectionId);
    }

    /** @return whether this engine issued a connection with this id (it may be closed since) */
    boolean issued(String connectionId) {
        int sep = connectionId.lastIndexOf('_');
        if (sep < 0 || !connectionId.startsWith("conn_")) {
            return false;
        }
        try {
            long n = Long.parseUnsignedLong(connectionId.substring(sep + 1), 16);
            return n > 0 && n <= connectionSequence.get();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * Releases a connection by id.
     *
     * @param peer the peer it belongs to
     * @param connectionId the id
     */
    public void release(PeerId peer, String connectionId) {
        ids.release(peer, connectionId);
    }

    /**
     * @param peer the peer
     * @return whether its breaker allows a call now
     */
    public boolean checkCircuitBreaker(PeerId peer) {
        requirePeer(peer);
        PeerSlot s = slots.get(peer);
        if (s == null) {
            return true;
        }
        synchronized (s) {
            return s.breaker.allowsCalls(clock.nanoTime());
        }
    }

    /** @param peer the peer whose breaker counts a failure */
    public void recordFailure(PeerId peer) {
        requirePeer(peer);
        while (true) {
            PeerSlot s = slotFor(peer);
            synchronized (s) {
                if (s.retired) {
                    continue;
                }
                s.breaker.onFailure(false, clock.nanoTime());
                return;
            }
        }
    }

    /** @param peer the peer whose breaker counts a success; unknown peers are ignored */
    public void recordSuccess(PeerId peer) {
        requirePeer(peer);
        PeerSlot s = slots.get(peer);
        if (s != null) {
            synchronized (s) {
                s.breaker.onSuccess(false, clock.nanoTime());
            }
        }
    }

    /**
     * @param peer the peer
     * @return false if unknown
     */
    public boolean resetCircuitBreaker(PeerId peer) {
        requirePeer(peer);
        PeerSlot s = slots.get(peer);
        if (s == null) {
            return false;
        }
        synchronized (s) {
            s.breaker.reset();
        }
        return true;
    }

    /**
     * @param peer the peer
     * @return false if unknown
     */
    public boolean evict(PeerId peer) {
        requirePeer(peer);
        PeerSlot s = slots.get(peer);
        if (s == null) {
            return false;
        }
        List<PooledConn> gone = new ArrayList<>();
        List<Acquisition> next = new ArrayList<>();
        synchronized (s) {
            while (s.idleCount > 0) {
                PooledConn c = s.idle[s.idleCount - 1];
                detachLocked(s, c, "evicted on request");
                gone.add(c);
                Acquisition w = passRoomLocked(s);
                if (w != null) {
                    next.add(w);
                }
            }
            for (PooledConn c : s.conns) {
                c.closeReason = "evicted on request";
                c.retireOnRelease = true;
            }
        }
        closeDetached(gone, next, CloseKind.EVICTED);
        return true;
    }

    private static void requirePeer(PeerId peer) {
        if (peer == null) {
            throw new IllegalArgumentException("peerId must not be null");
        }
    }

    // ---------------------------------------------------------------- views

    /** @return the pool's statistics now */
    public PoolStats stats() {
        return PoolViews.stats(this);
    }

    /** @return every tracked peer */
    public List<PeerSnapshot> peers() {
        List<PeerSnapshot> out = new ArrayList<>(slots.size());
        for (PeerSlot s : slots.values()) {
            out.add(PoolViews.snapshot(this, s, true));
        }
        return out;
    }

    /** @return every tracked peer, without connection lists */
    public List<PeerSnapshot> peerSummaries() {
        List<PeerSnapshot> out = new ArrayList<>(slots.size());
        for (PeerSlot s : slots.values()) {
            out.add(PoolViews.snapshot(this, s, false));
        }
        return out;
    }

    /**
     * @param peer the peer
     * @return its summary, without connection list, if tracked
     */
    public Optional<PeerSnapshot> peerSummary(PeerId peer) {
        requirePeer(peer);
        PeerSlot s = slots.get(peer);
        return s == null ? Optional.empty() : Optional.of(PoolViews.snapshot(this, s, false));
    }

    /**
     * @param peer the peer
     * @return its snapshot if tracked
     */
    public Optional<PeerSnapshot> peer(PeerId peer) {
        requirePeer(peer);
        PeerSlot s = slots.get(peer);
        return s == null ? Optional.empty() : Optional.of(PoolViews.snapshot(this, s, true));
    }

    int globalWaiting() {
        return globalWaiterCount.get();
    }

    int globalWaitingFor(PeerSlot slot) {
        if (globalWaiterCount.get() == 0) {
            return 0;
        }
        int n = 0;
        synchronized (globalLock) {
            for (Acquisition a : globalWaiters) {
                if (a.slot == slot && a.state.get() == Acquisition.WAITING_GLOBAL) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * @param listener the listener
     * @return its subscription
     */
    public EventSubscription subscribe(ConnectionEventListener listener) {
        return events.subscribe(listener);
    }

    /**
     * Registers an observer of acquire and dial timings.
     *
     * @param observer the observer
     * @return a handle that removes it; idempotent
     */
    public AutoCloseable addObserver(PoolObserver observer) {
        if (observer == null) {
            throw new IllegalArgumentException("observer must not be null");
        }
        synchronized (observerLock) {
            ensureOpen("add an observer");
            observers = Observers.plus(observers, observer);
        }
        AtomicBoolean removed = new AtomicBoolean();
        return () -> {
            if (removed.compareAndSet(false, true)) {
                synchronized (observerLock) {
                    observers = observerCalls.minus(observers, observer);
                }
            }
        };
    }

    /**
     * Receives every background pass's report on the event thread.
     *
     * @param listener the listener
     * @return a handle removing it
     */
    public AutoCloseable onHealthReport(java.util.function.Consumer<HealthReport> listener) {
        if (listener == null) {
            throw new IllegalArgumentException("listener must not be null");
        }
        ensureOpen("subscribe to health reports");
        return events.subscribeReports(listener);
    }

    /** @return a handle stopping the health monitor's PINGs (housekeeping is always on) */
    public AutoCloseable startHealthMonitor() {
        ensureOpen("start the health monitor");
        return monitor.start();
    }

    /** @return the report of one pass run now */
    public HealthReport checkHealth() {
        ensureOpen("check health");
        return monitor.runNow();
    }

    /**
     * One housekeeping step for the monitor and for tests: runs a health pass if it is due and a
     * leak check, and returns the delay until the next step.
     *
     * @param now the pool clock's reading
     * @return nanoseconds until the next step
     */
    long housekeep(long now) {
        return monitor.step(now);
    }

    /** @return the settings */
    public PoolConfig config() {
        return config;
    }

    /** @return the local peer id */
    public PeerId localPeerId() {
        return localPeer;
    }

    /** @return whether closed */
    public boolean isClosed() {
        return closed;
    }

    private void ensureOpen(String what) {
        if (closed) {
            throw new PoolClosedException("the pool is closed; cannot " + what);
        }
    }

    private PoolClosedException closedWhileWaiting(Acquisition a) {
        return new PoolClosedException("the pool was closed while acquiring a connection to peer " + a.slot.peerId);
    }

    /** Fails waiters, closes every connection (leased ones too), stops the threads. Idempotent. */
    @Override
    public void close() {
        close(Duration.ZERO);
    }

    /**
     * Closes gracefully: refuses new acquires at once, fails waiting acquires and dials under way,
     * closes idle connections, then waits up to {@code grace} for leased connections to be
     * returned (each is closed as it comes back), then closes whatever is still leased and stops
     * the threads. The wait is on a monitor signalled by each release, not a poll.
     *
     * <p>A later call while one is waiting shortens the wait to its own grace if that ends sooner,
     * then waits for the first call to finish; either way, when any call returns the pool is shut
     * down. An interrupt ends the wait early (the flag is set again).
     *
     * @param grace how long to wait for leases, zero or more
     * @return whether every lease came back within the grace
     */
    public boolean close(Duration grace) {
        if (grace == null || grace.isNegative()) {
            throw new IllegalArgumentException("grace must be zero or a positive duration, was " + grace);
        }
        long graceNanos = grace.compareTo(MAX_GRACE) > 0 ? MAX_GRACE.toNanos() : grace.toNanos();
        boolean first;
        synchronized (closeLock) {
            long deadline = System.nanoTime() + graceNanos;
            first = !closed;
            if (first) {
                closed = true;
                drainDeadline = deadline;
            } else if (deadline - drainDeadline < 0) {
                drainDeadline = deadline;
                closeLock.notifyAll();
            }
        }
        if (!first) {
            return awaitTerminated();
        }
        boolean allReturned = false;
        try {
            monitor.stop();
            failWaitersAndCloseIdle();
            allReturned = awaitLeases();
        } finally {
            closeEverything();
            allLeasesReturned = allReturned;
            terminated.countDown();
        }
        return allReturned;
    }

    /** Shutdown, first part: nobody waits any more, no dial goes on, nothing idle stays open. */
    private void failWaitersAndCloseIdle() {
        List<Acquisition> global;
        synchronized (globalLock) {
            global = new ArrayList<>(globalWaiters);
            globalWaiters.clear();
            globalWaiterCount.set(0);
        }
        for (Acquisition a : global) {
            if (a.state.compareAndSet(Acquisition.WAITING_GLOBAL, Acquisition.DONE)) {
                a.cancelTimers();
                releaseResources(a);
                a.future.completeExceptionally(closedWhileWaiting(a));
            }
        }
        for (PeerSlot s : slots.values()) {
            List<Acquisition> waiting = new ArrayList<>();
            List<PooledConn> idle = new ArrayList<>();
            synchronized (s) {
                Acquisition w;
                while ((w = s.pollWaiter()) != null) {
                    if (w.state.compareAndSet(Acquisition.WAITING_PEER, Acquisition.DONE)) {
                        if (w.probe) {
                            s.breaker.releaseProbe();
                            w.probe = false;
                        }
                        waiting.add(w);
                    }
                }
                while (s.idleCount > 0) {
                    PooledConn c = s.idle[s.idleCount - 1];
                    detachLocked(s, c, "pool closed");
                    idle.add(c);
                }
            }
            for (Acquisition w : waiting) {
                w.cancelTimers();
                w.future.completeExceptionally(closedWhileWaiting(w));
            }
            for (PooledConn c : idle) {
                finishClose(c, c.closeReason, CloseKind.SHUTDOWN);
            }
        }
        for (Acquisition a : new ArrayList<>(inflight)) {
            CompletableFuture<FramedConnection> f = a.connect;
            if (f != null) {
                f.cancel(true);
            }
            abort(a, closedWhileWaiting(a));
        }
    }

    /** Waits, until the drain deadline, for every lease to be returned. @return whether all were */
    private boolean awaitLeases() {
        synchronized (closeLock) {
            while (true) {
                if (nothingOut()) {
                    return true;
                }
                long left = drainDeadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(closeLock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return nothingOut();
                }
            }
        }
    }

    /** @return whether no lease is out and no returned one is still being closed */
    private boolean nothingOut() {
        for (PeerSlot s : slots.values()) {
            synchronized (s) {
                if (s.leased > 0) {
                    return false;
                }
            }
        }
        // Read after the slots: a release bumps this in the same critical section that ends its lease.
        return closingReleases.get() == 0;
    }

    /** Shutdown, last part: closes what is still leased (its holder gets errors), stops the threads. */
    private void closeEverything() {
        for (PeerSlot s : slots.values()) {
            List<PooledConn> conns;
            synchronized (s) {
                conns = new ArrayList<>(s.conns);
                for (PooledConn c : conns) {
                    detachLocked(s, c, "pool closed");
                }
            }
            for (PooledConn c : conns) {
                finishClose(c, c.closeReason, CloseKind.SHUTDOWN);
            }
        }
        try {
            connector.close();
        } catch (RuntimeException e) {
            LOG.warn("Closing the pool's connector failed", e);
        }
        scheduler.shutdown();
        events.close();
        if (holdsTicker.compareAndSet(true, false)) {
            CoarseTicker.release();
        }
    }

    /** A later close waits for the first to finish. @return what the first returned */
    private boolean awaitTerminated() {
        try {
            terminated.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return allLeasesReturned;
    }

    @Override
    public String toString() {
        return "local=" + localPeer + ", peers=" + slots.size() + ", open=" + totalOpen.get() + "/" + maxTotal
                + (closed ? ", closed" : "");
    }

    /** Builds an engine from injected parts. Not API. */
    public static final class Builder {
        private final PoolConfig config;
        private PeerId localPeer;
        private Connector connector;
        private PoolClock clock = PoolClock.SYSTEM;
        private PoolScheduler scheduler;
        private DoubleSupplier random;

        private Builder(PoolConfig config) {
            this.config = Objects.requireNonNull(config, "config must not be null");
        }

        /**
         * @param peer the PeerId the connector authenticates as
         * @return this builder
         */
        public Builder localPeer(PeerId peer) {
            this.localPeer = peer;
            return this;
        }

        /**
         * @param connector the dialer; the engine closes it on close
         * @return this builder
         */
        public Builder connector(Connector connector) {
            this.connector = connector;
            return this;
        }

        /**
         * @param clock the time source
         * @return this builder
         */
        public Builder clock(PoolClock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * @param scheduler runs delayed work; the engine shuts it down on close
         * @return this builder
         */
        public Builder scheduler(PoolScheduler scheduler) {
            this.scheduler = scheduler;
            return this;
        }

        /**
         * @param random uniform numbers in [0, 1) for jitter and peer choice
         * @return this builder
         */
        public Builder random(DoubleSupplier random) {
            this.random = random;
            return this;
        }

        /** @return the engine */
        public PoolEngine build() {
            Objects.requireNonNull(localPeer, "localPeer must be set");
            Objects.requireNonNull(connector, "connector must be set");
            Objects.requireNonNull(clock, "clock must not be null");
            PoolEngine engine = new PoolEngine(this);
            // Always on, started once the engine is whole (the first step may run at once).
            engine.monitor.startHousekeeping();
            return engine;
        }
    }
}
