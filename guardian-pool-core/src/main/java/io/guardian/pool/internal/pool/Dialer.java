package io.guardian.pool.internal.pool;

import io.guardian.pool.ConnectionFailedException;
import io.guardian.pool.ConnectionTimeoutException;
import io.guardian.pool.DialTimeoutException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.HandshakeException;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.PoolClosedException;
import io.guardian.pool.PoolInstrumentation;
import io.guardian.pool.PoolObserver;
import io.guardian.pool.RequestTimeoutException;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.internal.transport.PooledTransport;
import io.guardian.pool.internal.transport.TransportDialer;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dialing and retry for acquisitions that hold room under both limits. Not API.
 *
 * <p>Each attempt asks the peer's breaker first (no dial goes through an open breaker), bounds the
 * connector's timeout by what is left of {@code acquire-deadline}, and takes the outcome in on the
 * pool's completion threads ({@link Completions}), never on the transport's thread. A failure is typed ({@link DialFailures} for
 * the transport's own failures), counted, charged to the breaker, and retried with jittered
 * exponential backoff while it is retryable, attempts remain, the breaker stays closed and the
 * retry could still finish before the deadline. A success is handed to the engine, which admits
 * the connection into its slot.
 */
final class Dialer {

    private static final Logger LOG = LoggerFactory.getLogger(Dialer.class);

    private final PoolEngine engine;
    private final TransportDialer connector;
    private final PoolConfig config;
    private final PoolConfig.Retry retry;
    private final DoubleSupplier random;
    private final long acquireDeadlineNanos;
    /**
     * Acquisitions dialing or between attempts, each with its instrumentation scope (the shared
     * no-op scope when the pool has no instrumentation, so nothing is allocated for it).
     */
    private final ConcurrentHashMap<Acquisition, PoolInstrumentation.Scope> inflight = new ConcurrentHashMap<>();
    /** Set once by {@link Instrumentation#install}, before the pool is shared; {@code null} without one. */
    private volatile Instrumentation instrumentation;

    Dialer(PoolEngine engine, TransportDialer connector, DoubleSupplier random) {
        this.engine = engine;
        this.connector = connector;
        this.config = engine.config();
        this.retry = config.retry();
        this.random = random;
        this.acquireDeadlineNanos = config.acquireDeadline().toNanos();
    }

    /** Starts dialing for an acquisition that holds its permit and its room. */
    void start(Acquisition a) {
        synchronized (a.slot) {
            a.slot.dialing++;
            a.dialing = true;
        }
        PoolScheduler.Cancellable t = a.timer;
        if (t != null) {
            t.cancel();
        }
        Instrumentation i = instrumentation;
        // One scope per acquire that dials, covering its retries: started here, on the caller's
        // thread unless the caller waited at a limit, and ended by done().
        inflight.put(a, i == null ? PoolInstrumentation.Scope.NOOP : i.dialStarted(a.slot.peerId, a.address));
        attempt(a);
    }

    /** Instruments dials from now on (see {@link Instrumentation#install}). */
    void instrument(Instrumentation i) {
        this.instrumentation = i;
    }

    /**
     * No dial goes through an open breaker: not a retry, and not a caller who queued at a limit
     * before the breaker opened. A half-open breaker lends the dial its probe.
     *
     * @return the rejection, or {@code null} to dial
     */
    private RuntimeException breakerAdmits(Acquisition a) {
        if (a.probe) {
            return null;
        }
        PeerSlot slot = a.slot;
        synchronized (slot) {
            if (slot.breaker.state != CircuitState.CLOSED) {
                long now = engine.clock().nanoTime();
                CircuitBreaker.Admission admission = slot.breaker.tryAcquire(now);
                if (admission == CircuitBreaker.Admission.REJECT) {
                    return slot.breaker.rejection(now);
                }
                a.probe = admission == CircuitBreaker.Admission.PROBE;
            }
        }
        return null;
    }

    /** A dial failed: charge the breaker (the probe, if it was one). @return whether the breaker is open now */
    private static boolean charge(Acquisition a, long now) {
        PeerSlot slot = a.slot;
        synchronized (slot) {
            slot.breaker.onFailure(a.probe, now);
            slot.dialFailures++;
            a.probe = false;
            return slot.breaker.state == CircuitState.OPEN;
        }
    }

    /**
     * The acquisition no longer dials: its connection is being admitted (still {@code ACTIVE}, the
     * engine completes it right after) or it was aborted ({@code DONE} already). Ends the dial's
     * scope, failed in the second case.
     */
    void done(Acquisition a) {
        PoolInstrumentation.Scope scope = inflight.remove(a);
        if (scope != null && scope != PoolInstrumentation.Scope.NOOP) {
            Instrumentation.end(scope, a.state.get() == Acquisition.ACTIVE ? null : abortCause(a));
        }
    }

    /** Why an aborted dial ended, as the caller was told: the pool closed, else its last failure or the deadline. */
    private Throwable abortCause(Acquisition a) {
        if (engine.isClosed()) {
            return new PoolClosedException("the pool closed while dialing peer " + a.slot.peerId);
        }
        return deadlinePassed(a);
    }

    /** @return acquisitions dialing or between attempts now (for shutdown) */
    List<Acquisition> inflight() {
        return new ArrayList<>(inflight.keySet());
    }

    private void attempt(Acquisition a) {
        if (engine.isClosed()) {
            engine.acquisitions().abortClosed(a);
            return;
        }
        if (a.state.get() != Acquisition.ACTIVE) {
            return; // expired or aborted while the retry was pending
        }
        long left = a.startedNanos + acquireDeadlineNanos - engine.clock().nanoTime();
        if (left <= 0) {
            engine.acquisitions().abort(a, deadlinePassed(a));
            return;
        }
        RuntimeException rejection = breakerAdmits(a);
        if (rejection != null) {
            if (a.attempt == 0) {
                engine.counters().rejectedByBreaker();
                a.lastError = rejection; // what the dial's scope reports, as the caller is told
                engine.acquisitions().abort(a, rejection);
            } else {
                engine.acquisitions().abort(a, a.lastError);
            }
            return;
        }
        a.attemptStartNanos = engine.clock().nanoTime();
        // The dial's own timeout never outlasts the acquire's deadline.
        Duration timeout = left < retry.connectionTimeout().toNanos() ? Duration.ofNanos(left)
                : retry.connectionTimeout();
        PeerId peer = a.slot.peerId;
        CompletableFuture<? extends PooledTransport> f;
        try {
            f = connector.connect(peer, a.address, timeout);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        a.connect = f;
        // A dial that completes later is handled on the pool's completion threads, never on the transport's
        // thread that completed it (a Netty event loop or its offload executor): the acquisition's
        // future completes from here, and a caller's thenApply(lease -> lease.request(...)) on an
        // event loop would block the very loop that must deliver the reply. One already complete
        // (refused at once, or a connector that answers inline) is handled on this thread, ours.
        BiConsumer<PooledTransport, Throwable> outcome = (fc, error) -> {
            try {
                onAttemptDone(a, fc, error);
            } catch (RuntimeException | Error unexpected) {
                // A bug here must not park the caller: fail the acquisition (a no-op if it already
                // completed) and drop a connection nobody will own.
                LOG.warn("Guardian pool: handling the dial of peer {} failed unexpectedly", peer, unexpected);
                if (fc != null && a.state.get() != Acquisition.DONE) {
                    fc.close("pool error");
                }
                engine.acquisitions().abort(a, new ConnectionFailedException("acquiring a connection to peer " + peer
                        + " failed unexpectedly: " + unexpected, unexpected));
            }
        };
        if (f.isDone()) {
            f.whenComplete(outcome);
        } else {
            f.whenCompleteAsync(outcome, engine.completions());
        }
    }

    private void onAttemptDone(Acquisition a, PooledTransport fc, Throwable error) {
        long now = engine.clock().nanoTime();
        PeerId peer = a.slot.peerId;
        PoolObserver[] obs = engine.observerCalls().current();
        if (error == null) {
            if (obs.length != 0) {
                engine.observerCalls().dialed(obs, peer, now - a.attemptStartNanos);
            }
            engine.admitDialed(a, fc, now);
            return;
        }
        Throwable cause = unwrap(error);
        boolean cancelled = cause instanceof CancellationException;
        boolean breakerOpen = false;
        // Typed first: observers and counters see the public exception, never the transport's own type.
        a.lastError = typed(cause, peer, a.address);
        if (!cancelled) {
            if (obs.length != 0) {
                engine.observerCalls().dialFailed(obs, peer, now - a.attemptStartNanos,
                        cause instanceof TransportException ? a.lastError : cause);
            }
            engine.counters().dialFailed(isTimeout(a.lastError));
            breakerOpen = charge(a, now);
        }
        if (engine.isClosed() || cancelled) {
            if (engine.isClosed()) {
                engine.acquisitions().abortClosed(a);
            } else {
                engine.acquisitions().abort(a, a.lastError);
            }
            return;
        }
        if (a.state.get() != Acquisition.ACTIVE) {
            return; // expired meanwhile: nobody waits for a retry
        }
        long delay = 0;
        boolean again = retryable(a.lastError) && a.attempt < retry.maxRetryAttempts() && !breakerOpen;
        if (again) {
            delay = backoffNanos(a.attempt + 1);
            // No retry that would start after the acquire's deadline: fail now with the real cause.
            again = now + delay - (a.startedNanos + acquireDeadlineNanos) < 0;
        }
        if (again) {
            a.attempt++;
            LOG.debug("Dial {} to peer {} at {} failed ({}); retry {} of {} in {} ms", a.attempt, peer,
                    a.address, cause.toString(), a.attempt, retry.maxRetryAttempts(), delay / 1_000_000L);
            a.retry = engine.scheduler().schedule(() -> attempt(a), delay);
            return;
        }
        engine.acquisitions().abort(a, a.lastError);
    }

    /** The acquire's one overall bound passed: the last dial's failure, or a dial timeout naming the setting. */
    RuntimeException deadlinePassed(Acquisition a) {
        if (a.lastError instanceof RuntimeException) {
            return (RuntimeException) a.lastError;
        }
        return new DialTimeoutException("no connection to peer " + a.slot.peerId + " at " + a.address + " within "
                + "acquire-deadline (" + config.acquireDeadline() + "); raise acquire-deadline, or check that the "
                + "peer is reachable");
    }

    /** Ends a dialing acquisition at its deadline: its failure so far, and the connect cancelled. */
    void expire(Acquisition a) {
        CompletableFuture<? extends PooledTransport> f = a.connect;
        engine.acquisitions().abort(a, deadlinePassed(a));
        if (f != null) {
            f.cancel(true);
        }
    }

    /**
     * The wait before retry {@code n} (1-based): {@code initial × multiplier^(n-1)}, capped at
     * {@code max-retry-backoff}, with equal jitter (half fixed, half random), so that callers who
     * failed together spread out but none retries almost at once.
     */
    long backoffNanos(int n) {
        double base = retry.initialRetryBackoff().toNanos() * Math.pow(retry.backoffMultiplier(), n - 1);
        double capped = Math.min(base, retry.maxRetryBackoff().toNanos());
        return (long) (capped / 2 + random.getAsDouble() * capped / 2);
    }

    private static boolean retryable(Throwable cause) {
        return cause instanceof GuardianPoolException && ((GuardianPoolException) cause).retryable();
    }

    /** A dial or handshake timeout, judged on the typed failure (a transport timeout is typed by then). */
    private static boolean isTimeout(Throwable cause) {
        return cause instanceof ConnectionTimeoutException
                || (cause instanceof HandshakeException
                        && ((HandshakeException) cause).reason() == HandshakeException.Reason.TIMEOUT);
    }

    static Throwable unwrap(Throwable t) {
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
}
