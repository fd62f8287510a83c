package io.guardian.pool.internal.pool;

import io.guardian.pool.HealthReport;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolClosedException;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.PoolObserver;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.event.ConnectionEventListener;
import io.guardian.pool.event.EventSubscription;
import io.guardian.pool.internal.transport.PooledTransport;
import io.guardian.pool.internal.transport.TransportDialer;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's engine behind {@link io.guardian.pool.OptimizedConnectionPool}. Not API: its
 * methods and constructor may change at any time.
 *
 * <h2>Structure</h2>
 * The engine keeps the slot state machine: one {@link PeerSlot} per peer in a
 * {@link ConcurrentHashMap}, found with a plain {@code get} on the fast path (no map write per
 * acquire), each with its own lock guarding its idle stack, its counts, its waiters and its breaker;
 * and the acquisitions that wait on a slot. Its other jobs are parts that it calls through
 * methods: {@link GlobalAdmission} (permits and waiters under {@code max-total-connections}, the
 * cost-aware reclaim), {@link Dialer} (dials, retries, the acquire deadline), {@link ReuseRule}
 * (may this connection be lent out?), {@link Closings} (detach, pass room, close, admit),
 * {@link Shutdown}, {@link PeerChooser} ({@code acquireAny}), {@link IdHandles} (the id API over
 * leases), {@link PeerAdmin} (breaker and evict requests), {@link Counters}, and the
 * {@link HealthMonitor} (always-on housekeeping, optional PINGs).
 *
 * <h2>Lock order</h2>
 * A slot lock, then the admission queue's lock. Never two slot locks at once (the reclaim scan
 * takes them one after another). No user code (listeners, future continuations) and no I/O runs
 * under a lock: events are only queued, futures are completed after unlocking, sockets closed after.
 *
 * <h2>Fast path</h2>
 * Acquire: map get, slot lock, pop an idle connection that passes the reuse rule, start a lease
 * on its allocation's {@link Lease} state (primitive writes and a generation bump), unlock; the
 * caller gets a {@link LeaseHandle}, stored nowhere, which C2 scalar-replaces when the caller
 * keeps it local. Release: slot lock, check the handle's generation, end it, push back to idle,
 * unlock. No reference to a new object is stored into a long-lived one (under G1 that costs a
 * fenced card mark per peer); a stack trace is captured only with leak detection on.
 */
public final class PoolEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PoolEngine.class);

    private final PoolConfig config;
    private final PeerId localPeer;
    private final TransportDialer connector;
    /** Whether dialed connections carry several leases (libp2p): callers then ride a dial under way. */
    private final boolean multiplexed;
    private final String defaultProtocol;
    private final PoolClock clock;
    private final PoolScheduler scheduler;
    private final EventDispatcher events;
    private final HealthMonitor monitor;
    private final Counters counters = new Counters();
    private final ReuseRule rule;
    private final GlobalAdmission admission;
    private final Dialer dialer;
    private final Shutdown shutdown = new Shutdown(this);
    private final PeerChooser chooser;
    private final PeerAdmin admin = new PeerAdmin(this);
    private final IdHandles ids = new IdHandles(this);
    private final Acquisitions acquisitions;
    private final ConnectionManager connectionManager;
    private final Completions completions = new Completions();

    private final ConcurrentHashMap<PeerId, PeerSlot> slots = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, PooledConn> connsById = new ConcurrentHashMap<>();
    private final AtomicLong connectionSequence = new AtomicLong();
    private final DoubleSupplier random;

    private final int perPeerLimit;
    private final boolean loadBalancing;
    private final long leakThresholdNanos;
    private final long acquireTimeoutNanos;
    private final long acquireDeadlineNanos;

    private volatile boolean closed;
    /** Whether this engine still holds the shared {@link CoarseTicker} (the system clock's cached reading). */
    private final AtomicBoolean holdsTicker;

    /** Registered observers and the calls to them; none registered is the usual case. */
    private final Observers observerCalls = new Observers();

    PoolEngine(PoolEngineBuilder b) {
        this.config = b.config;
        this.localPeer = b.localPeer;
        this.connector = b.connector;
        this.multiplexed = b.multiplexed;
        this.defaultProtocol = config.defaultProtocol();
        this.clock = b.clock;
        this.scheduler = b.scheduler != null ? b.scheduler : new HousekeeperScheduler();
        this.random = b.random != null ? b.random : () -> ThreadLocalRandom.current().nextDouble();
        this.events = new EventDispatcher(config.eventBufferSize());
        this.perPeerLimit = Math.min(config.maxConnectionsPerPeer(), config.maxTotalConnections());
        this.loadBalancing = config.enableIntelligentLoadBalancing();
        this.leakThresholdNanos = config.leakDetectionThreshold().toNanos();
        this.acquireTimeoutNanos = config.acquireTimeout().toNanos();
        this.acquireDeadlineNanos = config.acquireDeadline().toNanos();
        this.rule = new ReuseRule(config);
        this.acquisitions = new Acquisitions(this, perPeerLimit);
        this.admission = new GlobalAdmission(this, config.maxTotalConnections());
        this.dialer = new Dialer(this, connector, random);
        this.chooser = new PeerChooser(this, random);
        this.monitor = new HealthMonitor(this);
        this.connectionManager = new ConnectionManager(this, config.connectionManager());
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
                .dialer(DefaultConnector.create(local, config), config.transport() == io.guardian.pool.Transport.LIBP2P)
                .build();
    }

    /**
     * A builder for tests and wiring that inject parts.
     *
     * @param config the settings
     * @return a builder with the system clock and the default scheduler
     */
    public static PoolEngineBuilder builder(PoolConfig config) {
        return new PoolEngineBuilder(config);
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
        return acquire(peer, address, defaultProtocol);
    }

    /**
     * Leases a stream negotiated to {@code protocol} (libp2p), blocking until one is available or
     * the acquire fails.
     *
     * @param peer the peer
     * @param address where to dial it
     * @param protocol the protocol id
     * @return the lease
     */
    public PeerConnection acquire(PeerId peer, Multiaddr address, String protocol) {
        PoolObserver[] obs = observerCalls.current();
        if (obs.length != 0) {
            // Timed for observers: only then is the precise clock read (bookkeeping reads the coarse one).
            return observerCalls.timed(obs, peer, clock, () -> acquireUntimed(peer, address, protocol));
        }
        return acquireUntimed(peer, address, protocol);
    }

    /**
     * Small on purpose: inlined into the caller, the handle made here for a warm lease can be
     * scalar-replaced when the caller keeps it local (no allocation per acquire).
     */
    private PeerConnection acquireUntimed(PeerId peer, Multiaddr address, String protocol) {
        Object started = begin(peer, address, protocol);
        if (started instanceof Lease) {
            // The state is this caller's until it releases it, so its generation is this lease's.
            Lease lease = (Lease) started;
            return new LeaseHandle(lease, lease.generation());
        }
        return acquisitions.await((Acquisition) started);
    }

    /**
     * Leases a connection without blocking. A dial's outcome completes the future on the JDK's
     * async pool, never on a network thread (see {@link Dialer}).
     *
     * @param peer the peer
     * @param address where to dial it
     * @return the future lease
     */
    public CompletableFuture<PeerConnection> acquireAsync(PeerId peer, Multiaddr address) {
        return acquireAsync(peer, address, defaultProtocol);
    }

    /**
     * Leases a stream negotiated to {@code protocol} without blocking.
     *
     * @param peer the peer
     * @param address where to dial it
     * @param protocol the protocol id
     * @return the future lease
     */
    public CompletableFuture<PeerConnection> acquireAsync(PeerId peer, Multiaddr address, String protocol) {
        PoolObserver[] obs = observerCalls.current();
        long start = obs.length != 0 ? clock.nanoTime() : 0L;
        Object started;
        try {
            started = begin(peer, address, protocol);
        } catch (RuntimeException e) {
            observerCalls.failedAt(obs, peer, clock, start, e);
            return CompletableFuture.failedFuture(e);
        }
        if (started instanceof Lease) {
            Lease lease = (Lease) started;
            PeerConnection handle = new LeaseHandle(lease, lease.generation());
            observerCalls.acquiredAt(obs, peer, clock, start, lease.reused);
            return CompletableFuture.completedFuture(handle);
        }
        Acquisition a = (Acquisition) started;
        a.future.whenComplete((lease, error) -> {
            if (error instanceof CancellationException) {
                acquisitions.cancel(a);
            } else if (error == null) {
                observerCalls.acquiredAt(obs, peer, clock, start, ((LeaseHandle) lease).reused());
            } else {
                observerCalls.failedAt(obs, peer, clock, start, Dialer.unwrap(error));
            }
        });
        return a.future;
    }

    /**
     * Starts an acquire: returns the {@link Lease} state (now the caller's) when an idle connection was taken, or the
     * {@link Acquisition} now dialing or waiting.
     */
    private Object begin(PeerId peer, Multiaddr address, String protocol) {
        if (protocol != defaultProtocol && !protocol.equals(defaultProtocol)) {
            ProtocolRefusals.checkId(protocol);
            if (!multiplexed) {
                throw new IllegalArgumentException("protocol " + protocol + " cannot be negotiated: transport GUARDIAN "
                        + "carries one protocol per connection; use transport LIBP2P, or acquire without a protocol");
            }
        }
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
            Closings stale = null;
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
                if (slot.refusedProtocols != null) {
                    RuntimeException refused = ProtocolRefusals.refusedLocked(slot, protocol, now,
                            config.circuitBreakerOpenTimeout());
                    if (refused != null) {
                        throw refused;
                    }
                }
                boolean probe = false;
                if (!slot.breakerClosed) {
                    CircuitBreaker.Admission admission = slot.breaker.tryAcquire(now);
                    if (admission == CircuitBreaker.Admission.REJECT) {
                        counters.rejectedByBreaker();
                        throw slot.breaker.rejection(now);
                    }
                    probe = admission == CircuitBreaker.Admission.PROBE;
                }
                if (slot.busy > 0) {
                    PooledConn shared = sharedWithRoom(slot, now);
                    if (shared != null) {
                        lease = leaseLocked(slot, shared, now, site, true, probe, protocol);
                    }
                }
                while (lease == null && slot.idleCount > 0) {
                    PooledConn c = slot.takeIdle(loadBalancing);
                    ReuseRule.Verdict verdict = rule.idle(c, now);
                    if (verdict == ReuseRule.Verdict.REUSE) {
                        // A probe lease settles the half-open breaker when it is released, on
                        // what it did: taking an idle connection proves nothing yet.
                        lease = leaseLocked(slot, c, now, site, true, probe, protocol);
                        break;
                    }
                    slot.pushIdle(c); // detached below with the rest of its bookkeeping
                    if (stale == null) {
                        stale = new Closings(this);
                    }
                    stale.detachLocked(slot, c, c.closeReason,
                            verdict == ReuseRule.Verdict.DEAD ? CloseKind.DEAD : CloseKind.EVICTED);
                }
                if (lease == null) {
                    slot.lastAddress = address;
                    // Precise: its deadline counts from here.
                    acq = new Acquisition(slot, address, site, probe, clock.nanoTime());
                    acq.protocol = protocol;
                    if (!probe && ridesDial(slot)) {
                        // A dial under way will carry this lease too: wait for it rather than dial
                        // a second connection to the peer.
                        acq.state.set(Acquisition.WAITING_PEER);
                        slot.addWaiter(acq);
                    } else if (slot.open < perPeerLimit) {
                        slot.open++;
                        slot.reserved++;
                        acq.reserved = true;
                    } else if (acquireTimeoutNanos == 0) {
                        if (probe) {
                            slot.breaker.releaseProbe();
                        }
                        reject = acquisitions.exhaustedPerPeer(slot);
                    } else {
                        acq.state.set(Acquisition.WAITING_PEER);
                        slot.addWaiter(acq);
                    }
                }
            }
            if (stale != null) {
                stale.finish();
            }
            if (reject != null) {
                throw reject;
            }
            if (lease != null) {
                return lease;
            }
            if (acq.reserved) {
                admission.proceed(acq);
            } else if (acq.state.get() == Acquisition.WAITING_PEER) {
                acquisitions.armDeadline(acq);
            }
            return acq;
        }
    }

    /** @return the peer's slot, created if needed */
    PeerSlot slotFor(PeerId peer) {
        PeerSlot s = slots.get(peer);
        if (s == null) {
            s = slots.computeIfAbsent(peer, this::newSlot);
        }
        return s;
    }

    /** @return the peer's slot, or {@code null} if the pool does not track it */
    PeerSlot slotOf(PeerId peer) {
        return slots.get(peer);
    }

    /** @return every tracked slot, weakly consistent */
    Collection<PeerSlot> slotsView() {
        return slots.values();
    }

    /** Forgets a retired slot (housekeeping, under its lock); its reuses move to the counters first. */
    void forget(PeerSlot s) {
        s.retired = true;
        // Before the removal: a stats reading that no longer finds the slot must find its reuses
        // in the counters (see PoolViews.stats).
        counters.retire(s.reuses);
        slots.remove(s.peerId, s);
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

    /**
     * A connection already carrying leases that has room for one more and may take it (slot lock
     * held): the lowest round trip with load balancing, else the first. Only libp2p connections
     * have room while leased.
     */
    private PooledConn sharedWithRoom(PeerSlot slot, long now) {
        PooledConn best = null;
        for (int i = 0, n = slot.conns.size(); i < n; i++) {
            PooledConn c = slot.conns.get(i);
            if (c.state != PooledConn.LEASED || !c.hasRoom() || c.failed || c.retireOnRelease
                    || !c.transport.reusable() || rule.tooOld(c, now)) {
                continue;
            }
            if (best == null) {
                best = c;
                if (!loadBalancing) {
                    break;
                }
            } else if (c.latency.ewmaMillis() < best.latency.ewmaMillis()) {
                best = c;
            }
        }
        return best;
    }

    /**
     * Whether a new caller should wait for a dial under way rather than dial (slot lock held):
     * on libp2p, while the connections being dialed will have room for it beside those already
     * waiting for them.
     */
    private boolean ridesDial(PeerSlot slot) {
        if (!multiplexed || slot.reserved == 0 || acquireTimeoutNanos == 0) {
            return false;
        }
        long room = (long) slot.reserved * (config.maxStreamsPerConnection() - 1);
        return slot.waiterCount() < room;
    }

    // ---------------------------------------------------------------- the slot state machine

    /**
     * The handle of a lease just started (slot lock), for a caller that gets it later (a waiter,
     * a dial's caller): made under the lock, so it names this lease whatever happens next.
     */
    private static LeaseHandle handleLocked(Lease lease) {
        return new LeaseHandle(lease, lease.generation());
    }

    private Lease leaseLocked(PeerSlot slot, PooledConn c, long now, Throwable site, boolean reuse, boolean probe,
            String protocol) {
        if (c.state != PooledConn.LEASED) {
            c.state = PooledConn.LEASED;
            slot.busy++;
        }
        if (reuse) {
            c.reuseCount++;
            slot.reuses++;
        }
        c.lastUsedNanos = now;
        slot.lastUsedNanos = now;
        slot.leased++;
        Lease lease = c.takeState(this);
        lease.begin(now, site, reuse, ++c.leaseNumber, protocol, probe);
        return lease;
    }

    /**
     * Removes a connection from its slot's bookkeeping (slot lock held). Only {@link Closings}
     * calls it, which then passes the room on and closes the socket outside the lock.
     *
     * @return whether it was detached now (false if it was closed already)
     */
    boolean detachLocked(PeerSlot slot, PooledConn c, String reason) {
        if (c.state == PooledConn.IDLE) {
            slot.removeIdle(c);
        } else if (c.state == PooledConn.LEASED) {
            slot.leased -= c.allocations;
            slot.busy--;
            c.clearLeases();
        } else {
            return false;
        }
        slot.forgetPopped(c);
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
        return true;
    }

    /**
     * Gives freed room under the peer limit to the first live waiter of the peer, which then
     * needs a global permit ({@link #proceedGlobal}, called by the caller outside the lock).
     */
    Acquisition passRoomLocked(PeerSlot slot) {
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
    void proceedGlobal(Acquisition a) {
        admission.proceed(a);
    }

    // ---------------------------------------------------------------- a dialed connection joins its slot

    /** A dial succeeded: the connection joins its slot, leased to the acquisition that dialed it. */
    void admitDialed(Acquisition a, PooledTransport fc, long now) {
        PeerSlot slot = a.slot;
        long rtt = fc.handshakeRttNanos();
        PooledConn c = new PooledConn(this, newConnectionId(slot.peerId), slot, fc, a.address, now);
        LeaseHandle lease = null;
        Handoffs riders = new Handoffs();
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
                lease = handleLocked(leaseLocked(slot, c, now, a.site, false, a.probe, a.protocol));
                if (!a.probe) {
                    slot.breaker.onSuccess(false, now);
                }
                slot.dialFailures = 0;
                a.probe = false;
                events.publish(new ConnectionEvent.Connected(slot.peerId, fc.setupNanos() / 1_000_000.0));
                // Callers that waited for this dial (libp2p) take their streams on it now.
                serveWaitersLocked(slot, c, now, riders);
            }
        }
        if (lease == null) {
            fc.close("pool closed");
            acquisitions.abortClosed(a);
            return;
        }
        counters.dialed(now - a.attemptStartNanos);
        firstLatency(c, rtt, now);
        fc.closeFuture().whenComplete((v, e) -> onTransportClosed(c));
        Identities.watch(this, c);
        dialer.done(a);
        acquisitions.complete(a, lease);
        riders.complete(acquisitions);
        if (connectionManager.over()) {
            connectionManager.trim();
        }
    }

    /** Gives waiting callers leases on {@code c} while it has room (slot lock held). */
    private void serveWaitersLocked(PeerSlot slot, PooledConn c, long now, Handoffs out) {
        Acquisition w;
        while (c.hasRoom() && (w = pollWaiterLocked(slot)) != null) {
            out.add(w, handleLocked(leaseLocked(slot, c, now, w.site, true, w.probe, w.protocol)));
            w.probe = false;
        }
    }

    /**
     * A connection the peer dialed to our listener joins the pool (libp2p, a listener sharing the
     * pool's identity): it counts against both limits like a dialed one and carries our streams to
     * the peer. Not adopted when either limit is reached: the listener still serves it.
     *
     * @param t the connection
     * @return whether the pool adopted it
     */
    boolean admitInbound(PooledTransport t) {
        if (closed || !admission.tryTake()) {
            return false;
        }
        PeerSlot slot = slotFor(t.remotePeer());
        long now = clock.nanoTime();
        PooledConn c = new PooledConn(this, newConnectionId(slot.peerId), slot, t, t.remoteAddress(), now);
        Handoffs served = new Handoffs();
        boolean adopted = false;
        synchronized (slot) {
            if (!closed && !slot.retired && slot.open < perPeerLimit) {
                adopted = true;
                slot.open++;
                if (slot.conns.isEmpty()) {
                    slot.uptimeStartNanos = now;
                }
                slot.conns.add(c);
                connsById.put(c.id, c);
                serveWaitersLocked(slot, c, now, served);
                if (c.allocations == 0) {
                    c.state = PooledConn.IDLE;
                    slot.pushIdle(c);
                }
                events.publish(new ConnectionEvent.Connected(slot.peerId, t.setupNanos() / 1_000_000.0));
            }
        }
        if (!adopted) {
            admission.release();
            return false;
        }
        counters.adopted();
        firstLatency(c, t.handshakeRttNanos(), now);
        t.closeFuture().whenComplete((v, e) -> onTransportClosed(c));
        Identities.watch(this, c);
        served.complete(acquisitions);
        if (connectionManager.over()) {
            connectionManager.trim();
        }
        return true;
    }

    private String newConnectionId(PeerId peer) {
        return "conn_" + peer.toBase58() + "_" + Long.toHexString(connectionSequence.incrementAndGet());
    }

    // ---------------------------------------------------------------- release

    /**
     * Ends the lease of generation {@code g} on {@code lease} (called by {@link Lease#release}):
     * back to idle, straight to a waiter, or closed if it failed, expired, or must make room at
     * the global limit. On libp2p the lease's stream ends (closed, or reset after a failure) and
     * the connection stays for its other leases. Only the first call for a generation acts.
     *
     * @return whether this call ended the lease
     */
    boolean release(Lease lease, long g, Throwable failure) {
        PooledConn c = lease.conn;
        PeerSlot slot = c.slot;
        long now = clock.coarseNanoTime();
        boolean whole = !c.multiplexed;
        // Read before the lock, used only if the lease is still generation g under it (then
        // nobody else touched the state meanwhile). DATA moves only through the lease, so an
        // untouched lease moved nothing: skip the counters.
        long bytes = !lease.touched ? -1L : whole ? c.bytesMoved() : lease.streamBytes();
        boolean refused = !whole && lease.streamRefused();
        // The stream, taken out under the lock and ended after it (no I/O under a lock).
        io.guardian.pool.internal.transport.MessageChannel stream = null;
        boolean cleanStream = false;
        LeaseHandle handed = null;
        Acquisition handedTo = null;
        List<Acquisition> rejected = null;
        RuntimeException rejection = null;
        Closings closing = new Closings(this);
        boolean shuttingDown;
        try {
            synchronized (slot) {
                if (!lease.isCurrent(g)) {
                    return false; // ended already: a second close, or a stale handle
                }
                if (!whole) {
                    cleanStream = failure == null && !lease.replyOwed();
                    stream = lease.takeStream();
                }
                if (c.state != PooledConn.LEASED || !c.removeLease(lease)) {
                    lease.end(g);
                    if (lease.probe) {
                        slot.breaker.releaseProbe(); // closed by shutdown: the probe tells nothing
                        lease.probe = false;
                    }
                    return true; // closed under the holder by shutdown or a dead socket; nothing to return
                }
                slot.leased--;
                if (refused) {
                    // The remote reset a stream it never answered: it carries fewer than we tried.
                    c.allocationLimit = Math.max(1, c.allocations);
                }
                if (lease.refusedProtocol) {
                    ProtocolRefusals.rememberLocked(slot, lease.protocol(), now, config.circuitBreakerOpenTimeout());
                }
                // Read under the lock, as are the flags evict and the health pass set: a graceful close
                // passes this slot after setting the flag, so a lease returned from then on is closed,
                // never pooled behind its back; and an evict racing this release is never lost.
                shuttingDown = closed;
                Throwable connFailure = whole ? failure : null; // a stream's failure is not its connection's
                boolean healthy = !shuttingDown && rule.atRelease(c, connFailure, now);
                settleLocked(slot, c, lease, bytes, failure, now);
                // From here the state is free: its handles name nothing, the next lease may take it.
                lease.end(g);
                if (!healthy) {
                    if (c.allocations > 0) {
                        // Other streams are still on it: no new ones go there, and the last to end closes it.
                        if (c.closeReason == null) {
                            c.closeReason = rule.releaseReason(c, connFailure, now, closed);
                        }
                        c.retireOnRelease = true;
                        return true;
                    }
                    CloseKind kind = endAtRelease(c, connFailure, shuttingDown);
                    closing.detachLocked(slot, c, rule.releaseReason(c, connFailure, now, closed), kind);
                    if (shuttingDown) {
                        // Counted before the lease stops counting as leased (same lock), so a graceful
                        // close never sees "nothing out" while this release is still closing its socket.
                        shutdown.releasingWhileClosed();
                    }
                } else {
                    c.lastUsedNanos = now;
                    Acquisition w = null;
                    if (c.hasRoom()) {
                        if (slot.breaker.state == CircuitState.OPEN && slot.waiterCount() > 0) {
                            // The breaker opened (perhaps on this very lease): callers queued for the
                            // peer fail as a dial of theirs would, rather than get through it.
                            rejection = slot.breaker.rejection(now);
                            rejected = new java.util.ArrayList<>(slot.waiterCount());
                            Acquisition r;
                            while ((r = pollWaiterLocked(slot)) != null) {
                                rejected.add(r);
                            }
                        } else {
                            w = pollWaiterLocked(slot);
                        }
                    }
                    if (w == null && c.allocations == 0) {
                        Object claim = admission.claimForRelease(slot);
                        if (claim == GlobalAdmission.RECLAIM) {
                            closing.detachLocked(slot, c, "closed to make room for another peer at "
                                    + "max-total-connections (" + config.maxTotalConnections() + ")", CloseKind.EVICTED);
                        } else if (claim instanceof Acquisition) {
                            w = (Acquisition) claim;
                        }
                    }
                    if (w != null) {
                        handed = handleLocked(leaseLocked(slot, c, now, w.site, true, w.probe, w.protocol));
                        handedTo = w;
                        w.probe = false; // now the lease's, settled at its release
                    } else if (closing.size() == 0 && c.allocations == 0) {
                        c.state = PooledConn.IDLE;
                        slot.busy--;
                        c.pooledAtNanos = now;
                        slot.pushIdle(c);
                    }
                }
            }
        } finally {
            if (stream != null) {
                stream.end(cleanStream);
            }
        }
        if (closing.size() > 0) {
            try {
                closing.finish();
            } finally {
                if (shuttingDown) {
                    shutdown.releasedWhileClosed();
                }
            }
            if (failure != null) {
                LOG.debug("Connection {} to peer {} marked failed by its holder", c.id, slot.peerId, failure);
            }
        }
        if (handedTo != null) {
            acquisitions.complete(handedTo, handed);
        }
        if (rejected != null) {
            for (Acquisition r : rejected) {
                counters.rejectedByBreaker();
                acquisitions.abort(r, rejection);
            }
        }
        return true;
    }

    /**
     * How a connection that is not pooled again at release ends, and whether that counts as its
     * failure (slot lock held): broken under its holder, dead on its own, closed by shutdown, closed
     * by the remote in order (churn; a GoAway makes it so while the socket is still open), or
     * retired by the pool.
     */
    private static CloseKind endAtRelease(PooledConn c, Throwable connFailure, boolean shuttingDown) {
        if (connFailure != null || c.failed) {
            c.closedAsFailure = true;
            return CloseKind.FAILED;
        }
        boolean byRemote = c.transport.closedByRemote();
        c.closedAsFailure = !c.transport.isOpen() && !byRemote;
        if (c.closedAsFailure) {
            return CloseKind.DEAD;
        }
        if (shuttingDown) {
            return CloseKind.SHUTDOWN;
        }
        return byRemote ? CloseKind.CHURN : CloseKind.EVICTED;
    }

    /**
     * A lease's accounts (slot lock held): bytes and time for bandwidth and the reclaim estimate,
     * and its outcome for the breaker. A half-open probe settles here, on what its lease did.
     *
     * @param bytes for a whole connection its DATA counter now; for a stream the bytes it moved;
     *     -1 if the lease moved nothing
     */
    private void settleLocked(PeerSlot slot, PooledConn c, Lease lease, long bytes, Throwable failure, long now) {
        long held = Math.max(0L, now - lease.acquiredNanos); // coarse and precise readings mix
        long moved = 0L;
        if (bytes >= 0) {
            if (c.multiplexed) {
                moved = bytes;
            } else {
                moved = bytes - c.bytesAtRelease;
                c.bytesAtRelease = bytes;
            }
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
        if (failure != null || lease.peerFailed || (c.failed && !c.multiplexed)) {
            // The holder's report, a broken socket, a protocol error or an unanswered request:
            // each is the peer failing this caller. A half-open breaker reopens on its probe.
            slot.breaker.onFailure(lease.probe, now);
        } else if (lease.probe) {
            slot.breaker.onSuccess(true, now);
        }
        lease.probe = false;
    }

    /**
     * The socket closed on its own (peer, network): drop the connection now if it is idle. A close
     * the remote made in order (CLOSE, GoAway, FIN) is churn: reported, never counted as a failure.
     */
    private void onTransportClosed(PooledConn c) {
        PeerSlot slot = c.slot;
        Closings dead = new Closings(this);
        synchronized (slot) {
            if (c.state != PooledConn.IDLE) {
                return; // leased: its holders see the error and the last release closes it
            }
            boolean churn = c.transport.closedByRemote();
            c.closedAsFailure = !churn;
            String r = c.transport.closeReason();
            dead.detachLocked(slot, c, (churn ? "closed by the peer" : "closed by the network")
                    + (r != null ? " (" + r + ")" : ""), churn ? CloseKind.CHURN : CloseKind.DEAD);
        }
        dead.finish();
    }

    /**
     * The connection's first latency sample: the handshake's round trip where it measured one,
     * else a ping sent now (libp2p: a yamux Ping), recorded when it comes back.
     */
    private void firstLatency(PooledConn c, long handshakeRtt, long now) {
        if (handshakeRtt > 0) {
            recordLatency(c, handshakeRtt, now);
            return;
        }
        try {
            c.transport.ping(config.pingTimeout()).whenComplete((rtt, error) -> {
                if (rtt != null) {
                    recordLatency(c, rtt);
                }
            });
        } catch (RuntimeException e) {
            LOG.debug("First ping of {} failed", c.id, e);
        }
    }

    /** The connection is closed: its id names nothing any more ({@link Closings} only). */
    void unregister(PooledConn c) {
        connsById.remove(c.id, c);
    }

    void recordLatency(PooledConn c, long rttNanos) {
        recordLatency(c, rttNanos, clock.nanoTime());
    }

    void recordLatency(PooledConn c, long rttNanos, long now) {
        c.latency.record(rttNanos, now);
        c.slot.latency.record(rttNanos, now);
        counters.latency(rttNanos);
    }

    /**
     * Shares connections with a listener answering as this pool's identity (libp2p): connections
     * peers dial to it join the pool and carry our streams to them, and streams peers open on the
     * pool's own connections are served by the listener's handlers.
     *
     * @param listener the listener's engine
     * @return a handle that stops sharing (adopted connections stay pooled)
     */
    public AutoCloseable attach(io.guardian.pool.internal.transport.ListenerEngine listener) {
        ensureOpen("attach a listener");
        if (!(connector instanceof io.guardian.pool.internal.libp2p.Libp2pConnector)) {
            throw new IllegalStateException("only a pool with transport LIBP2P shares connections with a listener; "
                    + "this pool's transport is " + config.transport());
        }
        io.guardian.pool.internal.libp2p.Libp2pNode listenerNode = listener.node();
        PeerId listenerPeer = listenerNode.settings().identity().peerId();
        if (!listenerPeer.equals(localPeer)) {
            throw new IllegalArgumentException("the listener answers as " + listenerPeer + " but the pool dials as "
                    + localPeer + "; give both the same PeerIdentity (guardian.pool.identity.key-file in the starter)");
        }
        io.guardian.pool.internal.libp2p.Libp2pNode own = ((io.guardian.pool.internal.libp2p.Libp2pConnector) connector).node();
        own.serveAs(listenerNode);
        int maxMessage = own.settings().maxMessageSize();
        int streams = config.maxStreamsPerConnection();
        listener.inboundConnections(connection -> completions.execute(() -> {
            // Off the event loop: adopting may hand streams to waiting callers, whose code runs next.
            if (!admitInbound(new io.guardian.pool.internal.libp2p.PooledLibp2pConnection(connection, streams,
                    maxMessage))) {
                LOG.debug("Inbound connection from {} not pooled: the pool is closed or at a limit",
                        connection.remotePeer());
            }
        }));
        return () -> {
            listener.inboundConnections(null);
            own.serveAs(null);
        };
    }

    // ---------------------------------------------------------------- parts with a public face

    /** @return the id API over leases (getConnection, releaseConnection, connection(id)) */
    public IdHandles ids() {
        return ids;
    }

    /** @return breaker and evict requests for one peer */
    public PeerAdmin admin() {
        return admin;
    }

    /** @return selection across peers for acquireAny */
    public PeerChooser chooser() {
        return chooser;
    }

    /** @return the open connection with this id, or {@code null} */
    PooledConn connectionById(String connectionId) {
        return connsById.get(connectionId);
    }

    /** @return how many connection ids this engine has issued (they are numbered from 1) */
    long connectionsIssued() {
        return connectionSequence.get();
    }

    // ---------------------------------------------------------------- listeners and monitor

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
        ensureOpen("add an observer");
        return observerCalls.register(observer);
    }

    /**
     * Receives every background pass's report on the event thread.
     *
     * @param listener the listener
     * @return a handle removing it
     */
    public AutoCloseable onHealthReport(Consumer<HealthReport> listener) {
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

    // ---------------------------------------------------------------- the parts' view of the engine

    PoolClock clock() {
        return clock;
    }

    PoolScheduler scheduler() {
        return scheduler;
    }

    EventDispatcher events() {
        return events;
    }

    Counters counters() {
        return counters;
    }

    ReuseRule rule() {
        return rule;
    }

    GlobalAdmission admission() {
        return admission;
    }

    Dialer dialer() {
        return dialer;
    }

    Acquisitions acquisitions() {
        return acquisitions;
    }

    HealthMonitor monitor() {
        return monitor;
    }

    ConnectionManager connectionManager() {
        return connectionManager;
    }

    /** @return the pool's threads for dial outcomes and adoptions (never a network thread) */
    java.util.concurrent.Executor completions() {
        return completions;
    }

    Observers observerCalls() {
        return observerCalls;
    }

    long leakThresholdNanos() {
        return leakThresholdNanos;
    }

    /** Sets the closed flag (the shutdown, under its lock). @return whether this call closed it */
    boolean markClosed() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    private void ensureOpen(String what) {
        if (closed) {
            throw new PoolClosedException("the pool is closed; cannot " + what);
        }
    }

    PoolClosedException closedWhileWaiting(Acquisition a) {
        return new PoolClosedException("the pool was closed while acquiring a connection to peer " + a.slot.peerId);
    }

    // ---------------------------------------------------------------- shutdown

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
        return shutdown.close(grace);
    }

    /** Shutdown's last step: the connector, the scheduler, the event thread, the shared clock. */
    void stopParts() {
        try {
            connector.close();
        } catch (RuntimeException e) {
            LOG.warn("Closing the pool's connector failed", e);
        }
        scheduler.shutdown();
        completions.shutdown();
        events.close();
        if (holdsTicker.compareAndSet(true, false)) {
            CoarseTicker.release();
        }
    }

    @Override
    public String toString() {
        return "local=" + localPeer + ", peers=" + slots.size() + ", open=" + admission.open() + "/"
                + config.maxTotalConnections() + (closed ? ", closed" : "");
    }
}
