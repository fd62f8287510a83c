package io.guardian.pool.sample;

import io.guardian.pool.event.ConnectionEvent;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Shows how an application reacts to the pool's events: the starter publishes every
 * {@link ConnectionEvent} as a Spring application event, so a plain {@code @EventListener} method
 * whose parameter is one event record receives exactly that kind. Each handler logs its event at
 * a level fitting its weight and keeps it in a short history for the dashboard.
 *
 * <p>The handlers run on the pool's event thread, one event at a time and in order, so they stay
 * short: no I/O besides the log line.
 */
@Component
public class ConnectionEventLog {

    private static final Logger log = LoggerFactory.getLogger(ConnectionEventLog.class);

    /** Events kept for {@code GET /api/events}: enough for a minute of a busy demo. */
    static final int HISTORY = 100;

    private final Deque<Entry> history = new ArrayDeque<>(HISTORY);
    private final Clock clock = Clock.systemUTC();

    /**
     * A connection completed its handshake; its round trip is the first latency sample.
     *
     * @param event the event
     */
    @EventListener
    public void onConnected(ConnectionEvent.Connected event) {
        log.info("Connected to {} (handshake {} ms)", event.peerId(), format(event.latencyMs()));
        remember(event, "handshake " + format(event.latencyMs()) + " ms");
    }

    /**
     * A connection was closed: idle too long, failed, evicted, or the peer went away.
     *
     * @param event the event
     */
    @EventListener
    public void onDisconnected(ConnectionEvent.Disconnected event) {
        log.info("Disconnected from {}: {}", event.peerId(), event.reason());
        remember(event, event.reason());
    }

    /**
     * A peer's health score fell below 0.5; {@code acquireAny} now avoids it while it can.
     *
     * @param event the event
     */
    @EventListener
    public void onDegraded(ConnectionEvent.Degraded event) {
        log.warn("Peer {} degraded: health score {}", event.peerId(), format(event.healthScore()));
        remember(event, "health score " + format(event.healthScore()));
    }

    /**
     * A degraded peer's score is back above 0.5.
     *
     * @param event the event
     */
    @EventListener
    public void onRecovered(ConnectionEvent.Recovered event) {
        log.info("Peer {} recovered", event.peerId());
        remember(event, "health score back above 0.5");
    }

    /**
     * Too many consecutive failures: calls to the peer are rejected at once until the open
     * timeout passes.
     *
     * @param event the event
     */
    @EventListener
    public void onCircuitBreakerOpen(ConnectionEvent.CircuitBreakerOpen event) {
        log.warn("Circuit breaker OPEN for {}: calls fail fast until the next probe", event.peerId());
        remember(event, "calls rejected until the next probe");
    }

    /**
     * The open timeout passed: the next call is a probe.
     *
     * @param event the event
     */
    @EventListener
    public void onCircuitBreakerHalfOpen(ConnectionEvent.CircuitBreakerHalfOpen event) {
        log.info("Circuit breaker HALF-OPEN for {}: probing", event.peerId());
        remember(event, "probing the peer");
    }

    /**
     * Probes succeeded (or the breaker was reset): calls flow again.
     *
     * @param event the event
     */
    @EventListener
    public void onCircuitBreakerClosed(ConnectionEvent.CircuitBreakerClosed event) {
        log.info("Circuit breaker CLOSED for {}", event.peerId());
        remember(event, "calls flow again");
    }

    /**
     * A lease was held longer than {@code guardian.pool.leak-detection-threshold}; the event
     * carries the stack of the acquire, which is what points at the code that forgot to close it.
     *
     * @param event the event
     */
    @EventListener
    public void onConnectionLeakSuspected(ConnectionEvent.ConnectionLeakSuspected event) {
        String where = event.acquireStack().isEmpty() ? "unknown" : event.acquireStack().get(0).toString();
        log.warn("Connection {} to {} held for {} without being closed; acquired at {}", event.connectionId(),
                event.peerId(), event.heldFor(), where);
        remember(event, "connection " + event.connectionId() + " held " + event.heldFor().toMillis() + " ms");
    }

    /**
     * The latest events, oldest first.
     *
     * @return at most {@value #HISTORY} entries
     */
    public List<Entry> recent() {
        synchronized (history) {
            return new ArrayList<>(history);
        }
    }

    private void remember(ConnectionEvent event, String detail) {
        Entry entry = new Entry(clock.instant(), event.getClass().getSimpleName(), event.peerId().toBase58(), detail);
        synchronized (history) {
            if (history.size() == HISTORY) {
                history.removeFirst();
            }
            history.addLast(entry);
        }
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    /**
     * One remembered event.
     *
     * @param at when the application received it
     * @param kind the event record's name ({@code CircuitBreakerOpen}, …)
     * @param peerId the peer, base58
     * @param detail a short human-readable summary
     */
    public record Entry(Instant at, String kind, String peerId, String detail) {
    }
}
