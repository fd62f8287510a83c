package io.guardian.pool;

import io.guardian.pool.event.ConnectionEventListener;
import io.guardian.pool.event.EventSubscription;
import io.guardian.pool.internal.pool.Instrumentation;
import io.guardian.pool.internal.pool.PoolEngine;
import io.guardian.pool.internal.pool.PoolViews;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A pool of authenticated connections to libp2p peers: the GuardianDB "Optimized Connection
 * Pool" on the JVM. It dials peers over the guardian-db protocol, keeps connections for reuse
 * within per-peer and global limits, fences off failing peers with per-peer circuit breakers,
 * retries dials with backoff, pings idle connections to find dead ones and score peers, and
 * reports events and statistics.
 *
 * <p>Two ways to use a connection: the original's ids ({@link #getConnection} then
 * {@link #releaseConnection}), or a lease ({@link #acquire} in try-with-resources). Both hand out
 * the same connections; {@link #connection(String)} turns an id into its lease.
 *
 * <p>Thread-safe. This class is a thin facade; the work happens in an internal engine.
 */
public final class OptimizedConnectionPool implements AutoCloseable {

    private final PoolEngine engine;
    /** {@code null} without instrumentation: then leases go out unwrapped and acquires call nothing more. */
    private final Instrumentation instrumentation;

    /**
     * A pool with a fresh, ephemeral identity (a new Ed25519 key, gone when the JVM exits). Use
     * the other constructor when peers must recognize this node across restarts.
     *
     * @param config the settings
     */
    public OptimizedConnectionPool(PoolConfig config) {
        this(config, PeerIdentity.generate());
    }

    /**
     * A pool that authenticates as {@code local} when it dials.
     *
     * @param config the settings
     * @param local this node's identity
     */
    public OptimizedConnectionPool(PoolConfig config, PeerIdentity local) {
        this(config, local, PoolInstrumentation.NONE);
    }

    /**
     * A pool that authenticates as {@code local} and reports its dials and lease operations to
     * {@code instrumentation} (for tracing; see {@link PoolInstrumentation}). With an
     * instrumentation, the leases handed out are decorators of the pool's own; with
     * {@link PoolInstrumentation#NONE} this is the two-argument constructor.
     *
     * @param config the settings
     * @param local this node's identity
     * @param instrumentation the hook, or {@link PoolInstrumentation#NONE}
     */
    public OptimizedConnectionPool(PoolConfig config, PeerIdentity local, PoolInstrumentation instrumentation) {
        this(PoolEngine.create(Objects.requireNonNull(config, "config must not be null"),
                Objects.requireNonNull(local, "local identity must not be null")),
                Objects.requireNonNull(instrumentation, "instrumentation must not be null (use NONE)"));
    }

    /** For tests and internal wiring: a facade over an engine built with injected parts. */
    OptimizedConnectionPool(PoolEngine engine) {
        this(engine, PoolInstrumentation.NONE);
    }

    /** For tests and internal wiring: an instrumented facade over an engine built with injected parts. */
    OptimizedConnectionPool(PoolEngine engine, PoolInstrumentation instrumentation) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.instrumentation = instrumentation == PoolInstrumentation.NONE ? null
                : Instrumentation.install(engine, instrumentation);
    }

    /**
     * Leases a connection to {@code peerId} and returns its id (the original API). Reuses an idle
     * connection if a healthy one exists, else dials (with retries), else waits at a limit.
     * Blocks until then. Pair with {@link #releaseConnection}.
     *
     * @param peerId the peer
     * @param address where to dial it if a new connection is needed
     * @return an id naming this lease: the connection's id ({@link PeerConnection#id()}), {@code #},
     *     and the lease's number on that connection. Once released it names nothing, so a stale id
     *     can never act on the connection's next holder. Two ids share everything before {@code #}
     *     exactly when they lease the same connection (that is how reuse shows).
     * @throws CircuitBreakerOpenException if the peer's breaker is open
     * @throws PoolExhaustedException if no connection came free within {@code acquire-timeout}
     * @throws DialTimeoutException if the dial timed out on its last attempt, or no connection came
     *     within {@code acquire-deadline} (a {@link ConnectionTimeoutException})
     * @throws PoolInterruptedException if the calling thread was interrupted while it waited
     * @throws ConnectionFailedException if the dial failed on its last attempt
     * @throws HandshakeException if the handshake failed on its last attempt
     * @throws PoolClosedException if the pool is closed
     * @throws IllegalArgumentException if an argument is {@code null} or the address is not
     *     dialable or names another peer
     */
    public String getConnection(PeerId peerId, Multiaddr address) {
        Instrumentation i = instrumentation;
        return i == null ? engine.ids().getConnection(peerId, address)
                : i.call(() -> engine.ids().getConnection(peerId, address));
    }

    /**
     * Returns a connection obtained by {@link #getConnection} to the pool.
     *
     * @param peerId the peer the connection belongs to
     * @param connectionId the id {@code getConnection} returned
     * @throws IllegalArgumentException if the id is unknown, belongs to another peer, or is a bare
     *     connection id ({@link PeerConnection#id()}) rather than an id from {@code getConnection}
     * @throws IllegalStateException if that lease has ended (released already), even when its
     *     connection has since been leased to another caller
     */
    public void releaseConnection(PeerId peerId, String connectionId) {
        engine.ids().release(peerId, connectionId);
    }

    /**
     * The lease behind a connection id from {@link #getConnection}, to send and receive on it.
     * Closing the returned lease is the same as {@link #releaseConnection}. Each call returns a
     * new handle of that lease, {@code equals} to the one {@link #acquire} returned for it (not
     * necessarily the same object), and like it useless once the lease ends.
     *
     * @param connectionId an id from {@code getConnection} (it names one lease), or a connection id
     *     from {@link PeerConnection#id()} (it names the connection: its current lease is returned)
     * @return the lease
     * @throws IllegalArgumentException if the id is unknown (never issued, or closed since)
     * @throws IllegalStateException if the lease an id from {@code getConnection} named has ended
     *     (even when its connection has since been leased to another caller), or a connection id's
     *     connection is not leased right now
     */
    public PeerConnection connection(String connectionId) {
        Instrumentation i = instrumentation;
        return i == null ? engine.ids().connection(connectionId) : i.wrap(engine.ids().connection(connectionId));
    }

    /**
     * Leases a connection to {@code peerId}, like {@link #getConnection}, as a lease to use in
     * try-with-resources. On {@link Transport#LIBP2P} the lease is a stream negotiated to
     * {@code default-protocol} on a connection it may share with other leases.
     *
     * @param peerId the peer
     * @param address where to dial it if a new connection is needed
     * @return the lease; {@code close()} returns it
     * @throws GuardianPoolException as {@link #getConnection} describes
     */
    public PeerConnection acquire(PeerId peerId, Multiaddr address) {
        Instrumentation i = instrumentation;
        return i == null ? engine.acquire(peerId, address) : i.acquire(() -> engine.acquire(peerId, address));
    }

    /**
     * Leases a stream to {@code peerId} negotiated to {@code protocol} ({@link Transport#LIBP2P}).
     * The stream goes on a connection to the peer that has room (fewer than
     * {@code max-streams-per-connection} leases); a new connection is dialed only when every one is
     * full. Opening the stream sends nothing: the protocol proposal goes out with the first message
     * (0-RTT), so a peer that does not speak the protocol is found at the first {@code receive},
     * which throws {@link ProtocolNotSupportedException}. {@code close()} ends the stream; the
     * connection stays pooled.
     *
     * @param peerId the peer
     * @param address where to dial it if a new connection is needed
     * @param protocol the protocol id, e.g. {@code /my-app/query/1.0.0}
     * @return the lease
     * @throws IllegalArgumentException if {@code protocol} is not a protocol id, or differs from
     *     {@code default-protocol} on {@link Transport#GUARDIAN}, which carries one protocol
     * @throws ProtocolNotSupportedException if the peer refused this protocol less than
     *     {@code circuit-breaker.open-timeout} ago
     * @throws GuardianPoolException as {@link #getConnection} describes
     */
    public PeerConnection acquire(PeerId peerId, Multiaddr address, String protocol) {
        Instrumentation i = instrumentation;
        return i == null ? engine.acquire(peerId, address, protocol)
                : i.acquire(() -> engine.acquire(peerId, address, protocol));
    }

    /**
     * Protects the peer's connections from the connection manager's trimming
     * ({@code connection-manager.*}) under {@code tag}, until every tag is removed with
     * {@link #unprotect}. Does not dial and holds no connection open by itself.
     *
     * @param peerId the peer, e.g. a bootstrap node
     * @param tag why it is protected; tags are removed one by one
     * @throws IllegalStateException if the peer already carries 64 tags
     */
    public void protect(PeerId peerId, String tag) {
        engine.admin().protect(peerId, tag);
    }

    /**
     * Removes one protection tag.
     *
     * @param peerId the peer
     * @param tag the tag
     * @return whether the peer is still protected by other tags
     */
    public boolean unprotect(PeerId peerId, String tag) {
        return engine.admin().unprotect(peerId, tag);
    }

    /**
     * @param peerId the peer
     * @param tag a tag, or {@code null} for any
     * @return whether the peer is protected under that tag (any tag for {@code null})
     */
    public boolean isProtected(PeerId peerId, String tag) {
        return engine.admin().isProtected(peerId, tag);
    }

    /**
     * Shares connections with a {@link io.guardian.pool.net.PeerListener} that answers as this
     * pool's identity ({@link Transport#LIBP2P} only). Connections peers dial to the listener then
     * join the pool: they count against {@code max-connections-per-peer} and
     * {@code max-total-connections} and carry this pool's streams to those peers, so a peer behind
     * NAT, which can only be reached over the connection it opened, can be leased to. A connection
     * arriving while either limit is reached is not pooled (the listener still serves it). Streams
     * peers open on connections the pool dialed are answered by the listener's handlers, so peers
     * see one node either way.
     *
     * @param listener a started listener with the pool's identity
     * @return a handle that stops sharing; connections already pooled stay
     * @throws IllegalArgumentException if the listener answers as another PeerId
     * @throws IllegalStateException if the pool's transport is {@link Transport#GUARDIAN}
     */
    public AutoCloseable attach(io.guardian.pool.net.PeerListener listener) {
        return engine.attach(io.guardian.pool.internal.transport.ListenerRegistry.engineOf(listener));
    }

    /**
     * {@link #acquire(PeerId, Multiaddr, String)} without blocking, with the threads
     * {@link #acquireAsync(PeerId, Multiaddr)} describes.
     *
     * @param peerId the peer
     * @param address where to dial it if a new connection is needed
     * @param protocol the protocol id
     * @return the future lease
     */
    public CompletableFuture<PeerConnection> acquireAsync(PeerId peerId, Multiaddr address, String protocol) {
        Instrumentation i = instrumentation;
        return i == null ? engine.acquireAsync(peerId, address, protocol)
                : i.acquireAsync(() -> engine.acquireAsync(peerId, address, protocol));
    }

    /**
     * Leases a connection without blocking the calling thread. The future completes with the
     * lease or fails with the exceptions {@link #getConnection} throws. Cancelling the future
     * gives up the wait; a connection that arrives anyway is returned to the pool.
     *
     * <p>Threads: never a network event loop, so a {@code thenApply(lease -> lease.request(...))}
     * may block. A future already complete (an idle connection was free) runs dependent stages on
     * the caller's thread. Otherwise it completes on the thread that settled it: after a dial, one of
     * the pool's completion threads ({@code guardian-pool-completion-*}, at most
     * {@code max(2, processors)}, stopped when idle and at close); on a hand-over, the thread that closed the lease; at
     * {@code acquire-timeout}, the pool's housekeeping thread ({@code guardian-pool-housekeeper});
     * on shutdown, the thread that closes the pool. Use {@code thenApplyAsync} for long work.
     *
     * @param peerId the peer
     * @param address where to dial it if a new connection is needed
     * @return the future lease
     */
    public CompletableFuture<PeerConnection> acquireAsync(PeerId peerId, Multiaddr address) {
        Instrumentation i = instrumentation;
        return i == null ? engine.acquireAsync(peerId, address)
                : i.acquireAsync(() -> engine.acquireAsync(peerId, address));
    }

    /**
     * Leases a connection to whichever of the candidates should answer fastest: two random
     * candidates are compared on their peak-EWMA round trip times their leases in use plus one,
     * and the cheaper one wins ("power of two choices"). Peers with an open breaker and degraded
     * peers are skipped while a healthy candidate is left. If the chosen peer fails, the next
     * choice is tried among the rest.
     *
     * @param candidates peers and their addresses, at least one
     * @return a lease on one of them
     * @throws GuardianPoolException the last candidate's failure, with the others' suppressed
     * @throws IllegalArgumentException if the list is empty or holds {@code null}
     */
    public PeerConnection acquireAny(List<PeerAddress> candidates) {
        Instrumentation i = instrumentation;
        return i == null ? engine.chooser().acquireAny(candidates)
                : i.acquire(() -> engine.chooser().acquireAny(candidates));
    }

    /**
     * {@link #acquireAny(List)} for a stream negotiated to {@code protocol} ({@link Transport#LIBP2P}).
     * A peer that refused the protocol recently fails at once and the next candidate is tried.
     *
     * @param candidates peers and their addresses, at least one
     * @param protocol the protocol id
     * @return a lease on one of them
     */
    public PeerConnection acquireAny(List<PeerAddress> candidates, String protocol) {
        Instrumentation i = instrumentation;
        return i == null ? engine.chooser().acquireAny(candidates, protocol)
                : i.acquire(() -> engine.chooser().acquireAny(candidates, protocol));
    }

    /**
     * The pool's counters and gauges now.
     *
     * <p>Weakly consistent, like {@code ConcurrentHashMap.size()}: the gauges are summed peer by
     * peer, each under that peer's lock, so a lease or permit that moves between peers during the
     * sweep can be counted on both sides and a reading may briefly exceed a limit by the number of
     * concurrent moves (the reliability soak saw +1, twice in 60,000 samples). The limits
     * themselves are enforced by a single atomic permit count and are never exceeded; a global
     * lock on every acquire just to make this reading exact is not worth its cost.
     *
     * @return a snapshot
     */
    public PoolStats getStats() {
        return PoolViews.stats(engine);
    }

    /**
     * Registers a listener for events, delivered in order on the pool's event thread.
     *
     * @param listener the listener
     * @return the subscription; close it to stop deliveries
     */
    public EventSubscription subscribeEvents(ConnectionEventListener listener) {
        return engine.subscribe(listener);
    }

    /**
     * Registers an observer of acquire and dial timings, called synchronously on the thread that
     * did the work (see {@link PoolObserver} for which thread and why it must be cheap). Meant for
     * metrics that must not miss samples, where the buffered events would drop them under load.
     * Costs nothing per acquire while no observer is registered.
     *
     * @param observer the observer; the same instance may be added more than once
     * @return a handle; closing it removes this registration (idempotent)
     * @throws IllegalArgumentException if {@code observer} is {@code null}
     * @throws PoolClosedException if the pool is closed
     */
    public AutoCloseable addObserver(PoolObserver observer) {
        return engine.addObserver(observer);
    }

    /**
     * Adds PINGs to the housekeeping passes: every {@code health-check-interval} each idle
     * connection is pinged, losses fail connections, and round trips feed the scores.
     * Housekeeping itself (closing idle, expired and dead connections, leak checks, forgetting
     * unused peers) always runs, from construction to {@link #close()}, on the pool's
     * housekeeping thread (one daemon thread, {@code guardian-pool-housekeeper}); this only
     * switches the PINGs on. Starting it again while it runs returns another handle to the same
     * monitor.
     *
     * @return a handle; closing it stops the PINGs (housekeeping goes on)
     * @throws PoolClosedException if the pool is closed
     */
    public AutoCloseable startHealthMonitor() {
        return engine.startHealthMonitor();
    }

    /**
     * Runs one health pass now, on the calling thread, and waits for its PONGs (at most about
     * {@code ping-timeout}). For callers that schedule passes themselves (the starter does).
     *
     * @return what the pass did
     * @throws PoolClosedException if the pool is closed
     */
    public HealthReport checkHealth() {
        return engine.checkHealth();
    }

    /**
     * Receives the report of every background housekeeping pass (with or without PINGs), in
     * order, on the pool's event thread ({@code guardian-pool-events}), through the same bounded
     * buffer as connection events: a slow or throwing listener never stalls housekeeping.
     * {@link #checkHealth()} returns its report to its caller instead.
     *
     * @param listener called with each report
     * @return a handle; closing it stops delivery
     * @throws PoolClosedException if the pool is closed
     */
    public AutoCloseable onHealthReport(Consumer<HealthReport> listener) {
        return engine.onHealthReport(listener);
    }

    /**
     * Whether calls to the peer are allowed by its breaker now (the original API): {@code true}
     * when closed, when half-open with no probe under way, or when open past its timeout.
     *
     * @param peerId the peer
     * @return {@code true} if a call may go through
     */
    public boolean checkCircuitBreaker(PeerId peerId) {
        return engine.admin().checkCircuitBreaker(peerId);
    }

    /**
     * Counts a failure against the peer's breaker, for failures only the caller can see. Like any
     * failure, it reopens a half-open breaker.
     *
     * @param peerId the peer
     */
    public void recordFailure(PeerId peerId) {
        engine.admin().recordFailure(peerId);
    }

    /**
     * Counts a success for the peer's breaker: resets the failure count when closed. Ignored when
     * half-open: then only the probe lease's own outcome, settled when it is closed, counts towards
     * closing the breaker.
     *
     * @param peerId the peer
     */
    public void recordSuccess(PeerId peerId) {
        engine.admin().recordSuccess(peerId);
    }

    /**
     * Every peer the pool tracks.
     *
     * @return snapshots, in no particular order
     */
    public List<PeerSnapshot> peers() {
        return PoolViews.peers(engine, true);
    }

    /**
     * One peer, if the pool tracks it.
     *
     * @param peerId the peer
     * @return its snapshot, or empty
     */
    public Optional<PeerSnapshot> peer(PeerId peerId) {
        return PoolViews.peer(engine, peerId, true);
    }

    /**
     * Every peer the pool tracks, like {@link #peers()} but without the per-connection list
     * ({@link PeerSnapshot#connections()} is empty): one lock and no per-connection work per peer,
     * cheap enough for every metrics scrape.
     *
     * @return summaries, in no particular order
     */
    public List<PeerSnapshot> peerSummaries() {
        return PoolViews.peers(engine, false);
    }

    /**
     * One peer, like {@link #peer(PeerId)} but without the per-connection list.
     *
     * @param peerId the peer
     * @return its summary, or empty
     */
    public Optional<PeerSnapshot> peerSummary(PeerId peerId) {
        return PoolViews.peer(engine, peerId, false);
    }

    /**
     * Closes the peer's idle connections now and marks its leased ones to close when returned.
     * Never creates a peer.
     *
     * @param peerId the peer
     * @return {@code false} if the pool does not track the peer
     */
    public boolean evict(PeerId peerId) {
        return engine.admin().evict(peerId);
    }

    /**
     * Closes the peer's breaker and clears its counts, raising {@code CircuitBreakerClosed} if it
     * was not closed. Never creates a peer.
     *
     * @param peerId the peer
     * @return {@code false} if the pool does not track the peer
     */
    public boolean resetCircuitBreaker(PeerId peerId) {
        return engine.admin().resetCircuitBreaker(peerId);
    }

    /**
     * The settings this pool runs with.
     *
     * @return the configuration
     */
    public PoolConfig config() {
        return engine.config();
    }

    /**
     * The PeerId this pool authenticates as.
     *
     * @return the local peer id
     */
    public PeerId localPeerId() {
        return engine.localPeerId();
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return {@code true} once closed
     */
    public boolean isClosed() {
        return engine.isClosed();
    }

    /**
     * Shuts the pool down at once: {@code close(Duration.ZERO)}. Fails waiting acquires with
     * {@link PoolClosedException}, closes every connection (leased ones too; their holders get
     * {@link ConnectionClosedException}), stops the threads it started. Idempotent.
     */
    @Override
    public void close() {
        engine.close();
    }

    /**
     * Shuts the pool down, giving callers that hold leases up to {@code grace} to finish and
     * return them. At once: new acquires fail with {@link PoolClosedException}, and so do callers
     * waiting at a limit or for a dial; idle connections are closed. Then the call waits (woken by
     * each release, without polling) until every leased connection has been returned, each being
     * closed as it comes back, or until the grace is over; then it closes whatever is still
     * leased (those holders get {@link ConnectionClosedException}) and stops the pool's threads.
     *
     * <p>{@link #isClosed()} is {@code true} from the start. A second call while the first waits
     * shortens the wait to its own grace if that ends sooner and returns when the pool is shut
     * down, so {@link #close()} during a graceful close closes at once. If the calling thread is
     * interrupted, the wait ends there and the interrupt flag is set again.
     *
     * @param grace how long to wait for leases to come back; zero closes at once
     * @return {@code true} if every lease was returned within the grace (also when none was out)
     * @throws IllegalArgumentException if {@code grace} is {@code null} or negative
     */
    public boolean close(Duration grace) {
        return engine.close(grace);
    }

    @Override
    public String toString() {
        return "OptimizedConnectionPool[" + engine + "]";
    }
}
