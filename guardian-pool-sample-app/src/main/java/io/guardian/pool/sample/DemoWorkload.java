package io.guardian.pool.sample;

import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerAddress;
import io.guardian.pool.PeerConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Light background traffic through the pool so that reuse, latency, health scores and breakers
 * have something real to show: every {@code guardian.sample.workload.interval} one request goes
 * to whichever demo peer {@code acquireAny} picks, and one to the next peer in turn through
 * {@code acquire}, stopped peers included (that is what opens their breakers).
 *
 * <p>Runs on its own single daemon thread rather than Spring's shared task scheduler: a round
 * that dials a stopped peer blocks while the pool retries, and must not hold up anything else
 * scheduled in the application. Failures are expected while peers are stopped; they are logged at
 * DEBUG and counted in {@link WorkloadStats}. Off with {@code guardian.sample.workload.enabled=false}.
 */
@Component
@ConditionalOnBooleanProperty(name = "guardian.sample.workload.enabled", matchIfMissing = true)
public class DemoWorkload implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DemoWorkload.class);

    private final OptimizedConnectionPool pool;
    private final DemoPeers peers;
    private final WorkloadStats stats;
    private final Duration interval;
    private final Duration requestTimeout;
    private ScheduledExecutorService executor;
    private long round;

    /**
     * @param pool the pool to send through
     * @param peers the demo peers to send to
     * @param stats where exchanges are counted for the dashboard
     * @param properties the interval and the request timeout
     */
    public DemoWorkload(OptimizedConnectionPool pool, DemoPeers peers, WorkloadStats stats,
            SampleProperties properties) {
        this.pool = pool;
        this.peers = peers;
        this.stats = stats;
        this.interval = properties.workload().interval();
        this.requestTimeout = properties.requestTimeout();
    }

    /** Starts the rounds, the first one right away. */
    @Override
    public synchronized void start() {
        if (executor != null) {
            return;
        }
        executor = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "sample-workload");
            thread.setDaemon(true);
            return thread;
        });
        executor.scheduleWithFixedDelay(this::safeRound, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
        log.info("Demo workload started: two requests every {}", interval);
    }

    /** Stops the rounds and waits briefly for the one under way. */
    @Override
    public synchronized void stop() {
        if (executor == null) {
            return;
        }
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("Demo workload round did not finish within 5 s of shutdown");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor = null;
    }

    /** @return whether rounds are scheduled */
    @Override
    public synchronized boolean isRunning() {
        return executor != null;
    }

    /**
     * @return the default phase: started last, once the peers and the web server are up, and
     *     stopped first, before the pool drains its leases at shutdown
     */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE;
    }

    /** One round; a scheduled task that throws is never run again, so nothing may escape. */
    private void safeRound() {
        try {
            round();
        } catch (RuntimeException e) {
            log.warn("Demo workload round failed unexpectedly; the next round runs as planned", e);
        }
    }

    private void round() {
        List<PeerAddress> candidates = peers.candidates();
        if (candidates.isEmpty()) {
            return;
        }
        long n = round++;
        exchange(() -> pool.acquireAny(candidates), "any", n);
        PeerAddress target = candidates.get((int) (n % candidates.size()));
        exchange(() -> pool.acquire(target.peerId(), target.address()), target.peerId().toBase58(), n);
    }

    private void exchange(Lessor lessor, String target, long n) {
        long start = System.nanoTime();
        try (PeerConnection lease = lessor.lease()) {
            byte[] message = ("round " + n).getBytes(StandardCharsets.UTF_8);
            try {
                lease.request(message, requestTimeout);
            } catch (GuardianPoolException e) {
                // The reply may still arrive later; a connection out of step must not be reused.
                lease.markFailed(e);
                throw e;
            }
            stats.recordSuccess(System.nanoTime() - start);
        } catch (GuardianPoolException e) {
            stats.recordFailure(e);
            log.debug("Demo workload request {} to {} failed: {}", n, target, e.toString());
        }
    }

    /** Obtains a lease; a separate type so both kinds of acquire share the exchange code. */
    @FunctionalInterface
    private interface Lessor {
        PeerConnection lease();
    }
}
