package io.guardian.pool.test;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.event.EventSubscription;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Waits, with a deadline, for a peer's circuit breaker in a pool to reach a state, and opens one
 * on demand. For tests of what an application does while a peer is fenced off.
 *
 * <p>A wait wakes on the pool's events for the peer, and rechecks the state at least every
 * {@value #RECHECK_MILLIS} ms as well, since events are delivered through a bounded buffer and
 * may be dropped under load. The state is the pool's own view: an open breaker whose open
 * timeout has passed still shows as open until the pool next looks at the peer (an acquire,
 * {@code checkCircuitBreaker}, or a health pass, which the Spring Boot starter runs every
 * {@code health-check-interval}), and only then as half-open.
 */
public final class CircuitBreakerAwait {

    /** Longest sleep between two looks at the state while waiting. */
    static final long RECHECK_MILLIS = 20;

    private CircuitBreakerAwait() {
    }

    /**
     * The peer's breaker state now.
     *
     * @param pool the pool
     * @param peer the peer
     * @return its state; {@link CircuitState#CLOSED} for a peer the pool does not track (a new
     *     breaker starts closed)
     */
    public static CircuitState state(OptimizedConnectionPool pool, PeerId peer) {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(peer, "peer");
        return pool.peerSummary(peer).map(s -> s.circuitBreaker().state())
                .orElse(CircuitState.CLOSED);
    }

    /**
     * Waits until the peer's breaker is in {@code expected}.
     *
     * @param pool the pool
     * @param peer the peer
     * @param expected the state to wait for
     * @param timeout the longest wait; positive
     * @throws AssertionError if the deadline passes first, naming the state it was left in
     * @throws IllegalArgumentException if {@code timeout} is not positive
     */
    public static void awaitState(OptimizedConnectionPool pool, PeerId peer, CircuitState expected,
            Duration timeout) {
        Objects.requireNonNull(expected, "expected");
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be a positive duration, was " + timeout);
        }
        Object signal = new Object();
        long deadline = System.nanoTime() + timeout.toNanos();
        EventSubscription events = pool.subscribeEvents(event -> {
            if (event.peerId().equals(peer)) {
                synchronized (signal) {
                    signal.notifyAll();
                }
            }
        });
        try {
            CircuitState now = state(pool, peer);
            while (now != expected) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("circuit breaker of peer " + peer + " did not become " + expected
                            + " within " + timeout + "; it is " + now);
                }
                synchronized (signal) {
                    TimeUnit.NANOSECONDS.timedWait(signal,
                            Math.min(left, TimeUnit.MILLISECONDS.toNanos(RECHECK_MILLIS)));
                }
                now = state(pool, peer);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for the circuit breaker of peer " + peer
                    + " to become " + expected, e);
        } finally {
            events.close();
        }
    }

    /**
     * Waits until the peer's breaker is open: the pool refuses acquires for it at once.
     *
     * @param pool the pool
     * @param peer the peer
     * @param timeout the longest wait; positive
     * @throws AssertionError if the deadline passes first
     */
    public static void awaitOpen(OptimizedConnectionPool pool, PeerId peer, Duration timeout) {
        awaitState(pool, peer, CircuitState.OPEN, timeout);
    }

    /**
     * Waits until the peer's breaker is closed again (after its probes succeeded, or a reset).
     *
     * @param pool the pool
     * @param peer the peer
     * @param timeout the longest wait; positive
     * @throws AssertionError if the deadline passes first
     */
    public static void awaitClosed(OptimizedConnectionPool pool, PeerId peer, Duration timeout) {
        awaitState(pool, peer, CircuitState.CLOSED, timeout);
    }

    /**
     * Opens the peer's breaker now by reporting as many consecutive failures as open it
     * ({@code PoolConfig.effectiveFailureThreshold()}), as the application would with
     * {@code recordFailure}. The breaker then stays open for {@code circuit-breaker.open-timeout}.
     *
     * @param pool the pool
     * @param peer the peer
     * @throws AssertionError if the breaker is not open afterwards
     */
    public static void forceOpen(OptimizedConnectionPool pool, PeerId peer) {
        Objects.requireNonNull(peer, "peer");
        int failures = pool.config().effectiveFailureThreshold();
        for (int i = 0; i < failures && state(pool, peer) != CircuitState.OPEN; i++) {
            pool.recordFailure(peer);
        }
        CircuitState now = state(pool, peer);
        if (now != CircuitState.OPEN) {
            throw new AssertionError("circuit breaker of peer " + peer + " is " + now + " after " + failures
                    + " failures");
        }
    }
}
