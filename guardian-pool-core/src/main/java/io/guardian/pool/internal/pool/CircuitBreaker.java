package io.guardian.pool.internal.pool;

import io.guardian.pool.CircuitBreakerOpenException;
import io.guardian.pool.breaker.CircuitBreakerView;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.peer.PeerId;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * One peer's circuit breaker. Not API. Not thread-safe: every method runs under the owning
 * {@link PeerSlot}'s lock, which also orders its events. Only {@link #state} is volatile, so the
 * acquire fast path can see "closed" without deciding anything.
 *
 * <p>Closed counts consecutive failures and opens at F. Open rejects until its wait passes, then
 * turns half-open, which admits one probe at a time (a probe lease is settled by its outcome when
 * it is released, not when it is taken); three consecutive probe successes close it, a
 * failure reopens it with the wait multiplied by the backoff multiplier, capped and jittered
 * down by up to 20 % (so that peers that failed together do not all probe together).
 */
final class CircuitBreaker {

    /** Successes in half-open that close the breaker, as in the original. */
    static final int SUCCESSES_TO_CLOSE = 3;
    /** Largest share a reopened breaker's wait is shortened by, so peers do not probe in step. */
    static final double REOPEN_JITTER = 0.2;

    enum Admission { ADMIT, PROBE, REJECT }

    private final PeerId peerId;
    private final int failureThreshold;
    private final long baseTimeoutNanos;
    private final long maxTimeoutNanos;
    private final double multiplier;
    private final DoubleSupplier random;
    private final Consumer<ConnectionEvent> events;
    private final Consumer<CircuitState> stateChanged;

    volatile CircuitState state = CircuitState.CLOSED;
    private int failureCount;
    private int successCount;
    private long lastFailureNanos;
    private boolean hasFailed;
    private long timeoutNanos;
    private long retryAtNanos;
    private boolean probeInFlight;

    CircuitBreaker(PeerId peerId, int failureThreshold, long baseTimeoutNanos, long maxTimeoutNanos,
            double multiplier, DoubleSupplier random, Consumer<ConnectionEvent> events,
            Consumer<CircuitState> stateChanged) {
        this.peerId = peerId;
        this.failureThreshold = failureThreshold;
        this.baseTimeoutNanos = baseTimeoutNanos;
        this.maxTimeoutNanos = maxTimeoutNanos;
        this.multiplier = multiplier;
        this.random = random;
        this.events = events;
        this.stateChanged = stateChanged;
        this.timeoutNanos = baseTimeoutNanos;
    }

    /**
     * Decides whether a call may go through now, moving an open breaker whose wait has passed to
     * half-open. A {@link Admission#PROBE} must later be settled with {@link #onSuccess},
     * {@link #onFailure} or {@link #releaseProbe}.
     */
    Admission tryAcquire(long now) {
        poll(now);
        switch (state) {
            case CLOSED:
                return Admission.ADMIT;
            case HALF_OPEN:
                if (probeInFlight) {
                    return Admission.REJECT;
                }
                probeInFlight = true;
                return Admission.PROBE;
            default:
                return Admission.REJECT;
        }
    }

    /** The exception for a rejected call, saying when to try again. */
    CircuitBreakerOpenException rejection(long now) {
        if (state == CircuitState.HALF_OPEN) {
            return new CircuitBreakerOpenException(peerId, "circuit breaker for peer " + peerId
                    + " is half-open and its single probe is still under way; try again when the probe settles");
        }
        long waitMs = Math.max(0L, (retryAtNanos - now) / 1_000_000L);
        return new CircuitBreakerOpenException(peerId, "circuit breaker for peer " + peerId + " is open after "
                + failureCount + " failures (threshold " + failureThreshold + "); the next probe is allowed in "
                + waitMs + " ms (circuit-breaker.open-timeout, currently " + timeoutNanos / 1_000_000L + " ms)");
    }

    /** Whether a call would be admitted now; moves a due open breaker to half-open. */
    boolean allowsCalls(long now) {
        poll(now);
        return state == CircuitState.CLOSED || (state == CircuitState.HALF_OPEN && !probeInFlight);
    }

    /** Moves an open breaker whose wait has passed to half-open. */
    void poll(long now) {
        if (state == CircuitState.OPEN && now - retryAtNanos >= 0) {
            setState(CircuitState.HALF_OPEN);
            successCount = 0;
            probeInFlight = false;
            events.accept(new ConnectionEvent.CircuitBreakerHalfOpen(peerId));
        }
    }

    void onSuccess(boolean probe, long now) {
        switch (state) {
            case CLOSED:
                failureCount = 0;
                successCount++;
                break;
            case HALF_OPEN:
                if (!probe) {
                    // Only the probe speaks for the peer now: a lease taken before the breaker
                    // opened, or a caller's own report, must not close it.
                    break;
                }
                probeInFlight = false;
                successCount++;
                if (successCount >= SUCCESSES_TO_CLOSE) {
                    close();
                }
                break;
            default:
                // A success that started before the breaker opened says nothing about the peer now.
                if (probe) {
                    probeInFlight = false;
                }
                break;
        }
    }

    void onFailure(boolean probe, long now) {
        failureCount++;
        successCount = 0;
        lastFailureNanos = now;
        hasFailed = true;
        switch (state) {
            case CLOSED:
                if (failureCount >= failureThreshold) {
                    open(now, baseTimeoutNanos);
                }
                break;
            case HALF_OPEN:
                probeInFlight = false;
                long longer = (long) Math.min((double) maxTimeoutNanos, timeoutNanos * multiplier);
                open(now, longer);
                break;
            default:
                if (probe) {
                    probeInFlight = false;
                }
                break;
        }
    }

    /** A probe that ended without telling anything (the caller gave up waiting, the pool closed). */
    void releaseProbe() {
        probeInFlight = false;
    }

    /** Closes the breaker and forgets its history; raises the closed event if it was not closed. */
    void reset() {
        boolean wasClosed = state == CircuitState.CLOSED;
        failureCount = 0;
        successCount = 0;
        hasFailed = false;
        probeInFlight = false;
        timeoutNanos = baseTimeoutNanos;
        if (!wasClosed) {
            setState(CircuitState.CLOSED);
            events.accept(new ConnectionEvent.CircuitBreakerClosed(peerId));
        }
    }

    private void setState(CircuitState next) {
        state = next;
        stateChanged.accept(next);
    }

    private void open(long now, long timeout) {
        timeoutNanos = timeout;
        long wait = timeout;
        if (state == CircuitState.HALF_OPEN) {
            wait = (long) (timeout * (1.0 - REOPEN_JITTER * random.getAsDouble()));
        }
        retryAtNanos = now + wait;
        setState(CircuitState.OPEN);
        events.accept(new ConnectionEvent.CircuitBreakerOpen(peerId));
    }

    private void close() {
        setState(CircuitState.CLOSED);
        failureCount = 0;
        successCount = 0;
        timeoutNanos = baseTimeoutNanos;
        events.accept(new ConnectionEvent.CircuitBreakerClosed(peerId));
    }

    /**
     * Whether the breaker holds nothing worth keeping: no probe under way and no failure within
     * {@code retentionNanos}. A retired breaker is recreated closed on the peer's next call.
     */
    boolean retirable(long now, long retentionNanos) {
        if (probeInFlight) {
            return false;
        }
        return !hasFailed || now - lastFailureNanos > retentionNanos;
    }

    int failureThreshold() {
        return failureThreshold;
    }

    int failureCount() {
        return failureCount;
    }

    CircuitBreakerView view(PoolClock clock) {
        return new CircuitBreakerView(state, failureCount, failureThreshold,
                hasFailed ? clock.wallAt(lastFailureNanos) : null, timeoutNanos / 1_000_000L, successCount,
                state == CircuitState.OPEN ? clock.wallAt(retryAtNanos) : null);
    }
}
