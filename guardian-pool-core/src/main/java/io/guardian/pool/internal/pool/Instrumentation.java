package io.guardian.pool.internal.pool;

import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolInstrumentation;
import io.guardian.pool.PoolInstrumentation.Scope;
import io.guardian.pool.Transport;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires a {@link PoolInstrumentation} into an engine: the dialer's scopes, the mark that tells
 * the dialer it runs on an acquiring caller's thread, and the lease decorator. Used only when an
 * instrumentation was given; a pool without one never reaches this class. Not API.
 */
public final class Instrumentation {

    private static final Logger LOG = LoggerFactory.getLogger(Instrumentation.class);

    /**
     * The engine whose acquire runs on this thread now. A dial started while it is set runs on
     * the acquiring caller's thread, whose tracing context is the right parent; one started on
     * any other thread (a release granting a waiter room) is detached.
     */
    private static final ThreadLocal<PoolEngine> ACQUIRING = new ThreadLocal<>();

    private final PoolEngine engine;
    private final PoolInstrumentation hook;
    private final Transport transport;

    private Instrumentation(PoolEngine engine, PoolInstrumentation hook) {
        this.engine = engine;
        this.hook = hook;
        this.transport = engine.config().transport();
    }

    /**
     * Instruments the engine's dials. Call once, before the engine is shared.
     *
     * @param engine the engine
     * @param hook the instrumentation, not {@link PoolInstrumentation#NONE}
     * @return the handle the pool facade uses around acquires and to wrap leases
     */
    public static Instrumentation install(PoolEngine engine, PoolInstrumentation hook) {
        Instrumentation i = new Instrumentation(Objects.requireNonNull(engine, "engine"),
                Objects.requireNonNull(hook, "instrumentation"));
        engine.dialer().instrument(i);
        return i;
    }

    /**
     * Marks this thread as acquiring from the engine, until {@link #leave}.
     *
     * @return what to hand to {@link #leave} (an outer mark, when acquires nest)
     */
    private Object enter() {
        PoolEngine outer = ACQUIRING.get();
        ACQUIRING.set(engine);
        return outer;
    }

    /**
     * Ends the mark set by {@link #enter}.
     *
     * @param outer what {@link #enter} returned
     */
    private void leave(Object outer) {
        if (outer == null) {
            ACQUIRING.remove();
        } else {
            ACQUIRING.set((PoolEngine) outer);
        }
    }

    /**
     * Runs an acquire of the engine's with this thread marked as acquiring, and instruments the
     * lease it returns.
     *
     * @param acquire the engine's acquire
     * @return the instrumented lease
     */
    public PeerConnection acquire(Supplier<PeerConnection> acquire) {
        return wrap(call(acquire));
    }

    /**
     * Runs an asynchronous acquire of the engine's with this thread marked as acquiring (a dial
     * it starts runs here), and instruments the lease it completes with (see {@link #wrapAsync}).
     *
     * @param acquire the engine's acquire
     * @return a future of the instrumented lease
     */
    public CompletableFuture<PeerConnection> acquireAsync(Supplier<CompletableFuture<PeerConnection>> acquire) {
        return wrapAsync(call(acquire));
    }

    /**
     * Runs a call of the engine's with this thread marked as acquiring, so that a dial it starts
     * here is not detached.
     *
     * @param <T> what the call returns
     * @param call the call
     * @return its result
     */
    public <T> T call(Supplier<T> call) {
        Object outer = enter();
        try {
            return call.get();
        } finally {
            leave(outer);
        }
    }

    /**
     * Wraps a lease so that its operations are instrumented.
     *
     * @param lease the engine's lease
     * @return the instrumented lease
     */
    public PeerConnection wrap(PeerConnection lease) {
        return lease == null ? null : new InstrumentedLease(lease, this);
    }

    /**
     * Wraps the lease an asynchronous acquire completes with. Cancelling the returned future
     * cancels the engine's (which returns a connection that arrives anyway); a lease that
     * arrives just as the caller cancelled is closed, so none leaks.
     *
     * @param leased the engine's future
     * @return a future of the instrumented lease
     */
    public CompletableFuture<PeerConnection> wrapAsync(CompletableFuture<PeerConnection> leased) {
        if (leased.isDone() && !leased.isCompletedExceptionally()) {
            // An idle connection was free: complete at once, dependent stages on the caller's thread as before.
            return CompletableFuture.completedFuture(wrap(leased.join()));
        }
        CompletableFuture<PeerConnection> out = new CompletableFuture<>();
        leased.whenComplete((lease, error) -> {
            if (error != null) {
                out.completeExceptionally(error);
            } else if (!out.complete(wrap(lease))) {
                lease.close(); // the caller cancelled meanwhile
            }
        });
        out.whenComplete((lease, error) -> {
            if (out.isCancelled()) {
                leased.cancel(false);
            }
        });
        return out;
    }

    /** Starts a dial's scope (see {@link Dialer}); never throws. */
    Scope dialStarted(PeerId peer, Multiaddr address) {
        boolean detached = ACQUIRING.get() != engine;
        try {
            Scope s = hook.dialStarted(peer, address, transport, detached);
            return s == null ? Scope.NOOP : s;
        } catch (RuntimeException e) {
            LOG.debug("Guardian pool: instrumentation failed to start a dial scope; dialing without it", e);
            return Scope.NOOP;
        }
    }

    /** Starts a lease operation's scope; never throws. */
    Scope requestStarted(PeerConnection lease, String protocol, PoolInstrumentation.Operation operation) {
        try {
            Scope s = hook.requestStarted(lease.peerId(), lease.address(), transport, protocol, operation);
            return s == null ? Scope.NOOP : s;
        } catch (RuntimeException e) {
            LOG.debug("Guardian pool: instrumentation failed to start a request scope; going on without it", e);
            return Scope.NOOP;
        }
    }

    /** Ends a scope, failed when {@code cause} is not {@code null}; never throws. */
    static void end(Scope scope, Throwable cause) {
        try {
            if (cause != null) {
                scope.failed(cause);
            }
        } catch (RuntimeException e) {
            LOG.debug("Guardian pool: instrumentation failed to record a failure", e);
        }
        try {
            scope.close();
        } catch (RuntimeException e) {
            LOG.debug("Guardian pool: instrumentation failed to close a scope", e);
        }
    }
}
