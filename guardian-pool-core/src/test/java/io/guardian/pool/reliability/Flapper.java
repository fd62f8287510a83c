package io.guardian.pool.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.breaker.CircuitState;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Takes peers down and brings them back (same identity, same port) at seeded random times: first
 * down between 0.3 and 3 s after start, down for 0.4 to 2.5 s, up for 1 to 5 s. Each return is
 * reported to a {@link BreakerRecovery} with the state of the peer's breaker at that moment.
 */
final class Flapper {

    private final OptimizedConnectionPool pool;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(4, r -> {
        Thread t = new Thread(r, "soak-flapper");
        t.setDaemon(true);
        return t;
    });
    private final List<LoopbackPeer> peers;
    private final BreakerRecovery recovery;
    private final Map<LoopbackPeer, Random> randoms = new HashMap<>();
    private volatile boolean stopped;
    final AtomicInteger downs = new AtomicInteger();
    final AtomicInteger ups = new AtomicInteger();
    final AtomicInteger bindRetries = new AtomicInteger();

    Flapper(OptimizedConnectionPool pool, List<LoopbackPeer> peers, BreakerRecovery recovery) {
        this.pool = pool;
        this.peers = peers;
        this.recovery = recovery;
        for (int i = 0; i < peers.size(); i++) {
            LoopbackPeer p = peers.get(i);
            Random r = new Random(Size.SEED * 17 + i);
            randoms.put(p, r);
            scheduler.schedule(() -> down(p), between(r, 300, 3000), TimeUnit.MILLISECONDS);
        }
    }

    private long between(Random r, long fromMs, long toMs) {
        synchronized (r) {
            return fromMs + (long) (r.nextDouble() * (toMs - fromMs));
        }
    }

    private void down(LoopbackPeer p) {
        if (stopped) {
            return;
        }
        recovery.wentDown(p.id);
        p.stop();
        downs.incrementAndGet();
        scheduler.schedule(() -> up(p), between(randoms.get(p), 400, 2500), TimeUnit.MILLISECONDS);
    }

    private void up(LoopbackPeer p) {
        if (!p.restart()) {
            bindRetries.incrementAndGet();
            if (!stopped) {
                scheduler.schedule(() -> up(p), 100, TimeUnit.MILLISECONDS);
            }
            return;
        }
        ups.incrementAndGet();
        recovery.returned(p.id, System.nanoTime(), PoolFigures.breakerState(pool, p.id) == CircuitState.CLOSED);
        if (!stopped) {
            scheduler.schedule(() -> down(p), between(randoms.get(p), 1000, 5000), TimeUnit.MILLISECONDS);
        }
    }

    /** Stops flapping; peers stay as they are. Idempotent. */
    void stop() throws InterruptedException {
        stopped = true;
        scheduler.shutdownNow();
        assertThat(scheduler.awaitTermination(30, TimeUnit.SECONDS)).as("flapper stopped").isTrue();
    }

    /** Stops flapping and brings every peer that is down back up. */
    void stopAndRestoreAll() throws InterruptedException {
        stop();
        await("every flapping peer back up").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    boolean all = true;
                    for (LoopbackPeer p : peers) {
                        if (!p.isUp()) {
                            if (p.restart()) {
                                ups.incrementAndGet();
                                recovery.returned(p.id, System.nanoTime(),
                                        PoolFigures.breakerState(pool, p.id) == CircuitState.CLOSED);
                            } else {
                                bindRetries.incrementAndGet();
                                all = false;
                            }
                        }
                    }
                    return all;
                });
    }
}
