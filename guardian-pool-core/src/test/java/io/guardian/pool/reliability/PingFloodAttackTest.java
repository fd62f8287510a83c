package io.guardian.pool.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.PingFlooder;
import io.guardian.pool.internal.transport.RawServer;
import io.netty.util.ResourceLeakDetector;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15's attack on the pool's own JVM, with the figures RELIABILITY.md reports: a peer the
 * pool dialed floods PINGs as fast as the pool reads and never reads a byte itself. Before the
 * issue the dialer answered every PING and kept reading while its PONGs could not drain, so its
 * heap grew about 100 MiB a second (out of memory in about 6 s at 512 MiB). Now it answers a
 * burst and then a few a second ({@code ping-answers-per-second}) and stops reading while its
 * writes cannot drain; meanwhile the same pool's requests to an honest peer, each over a new
 * connection, keep succeeding.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PingFloodAttackTest extends HostilePeerFixture {

    private static final Figures FIGURES = Figures.forRun(PingFloodAttackTest.class, Size.current());
    private static final int HONEST_REQUESTS = 20;
    private static LeakWatch leaks;

    private static ResourceLeakDetector.Level testLevel;

    /**
     * Sampled leak detection for this class: at the build's paranoid level every byte the dialer
     * decodes records a stack trace, which turns the flood into a test of the detector (a few MB a
     * second, the event loop saturated by it) rather than of the pool. Leaks are still reported.
     */
    @BeforeAll
    static void watch() {
        testLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
        leaks = new LeakWatch();
    }

    @AfterAll
    static void writeFigures() {
        ResourceLeakDetector.setLevel(testLevel);
        FIGURES.writeCheckingLeaks("ping-flood-attack", leaks);
    }

    @Test
    void aDialedPeerFloodingPingsCannotGrowThePoolsHeapAndOtherPeersStayReachable() throws Exception {
        long floodMillis = Size.current().pick(3_000, 30_000);
        ProcessProbe baseline = ProcessProbe.baseline();
        long retainedBefore = retainedHeap();
        AtomicLong written = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        RawServer flooder = rawServer(PingFlooder.script(stop, written));
        LoopbackPeer honest = closeLater(LoopbackPeer.start());
        OptimizedConnectionPool pool = pool(b -> { });
        Figures f = FIGURES.section("dialedPeerFloodsPings");
        int served = 0;
        long floodStart;
        try (PeakSampler peaks = new PeakSampler()) {
            PeerConnection held = pool.acquire(A, flooder.address());
            await("the flood under way").atMost(Duration.ofSeconds(10)).until(() -> written.get() > (1 << 20));
            floodStart = System.nanoTime();
            byte[] request = new byte[64];
            for (int i = 0; i < HONEST_REQUESTS; i++) {
                try (PeerConnection c = pool.acquire(honest.id, honest.address)) {
                    if (Arrays.equals(c.request(request, Duration.ofSeconds(5)), request)) {
                        served++;
                    }
                }
                pool.evict(honest.id); // the next request dials and handshakes anew, during the flood
            }
            // The flood goes on for its whole length; the honest requests above are usually done long before.
            await("the flood's length").atMost(Duration.ofMillis(floodMillis + 10_000))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> System.nanoTime() - floodStart >= TimeUnit.MILLISECONDS.toNanos(floodMillis));
            double seconds = (System.nanoTime() - floodStart) / 1e9;
            long floodBytes = written.get();
            long retainedDuring = retainedHeap();
            stop.set(true);
            held.close();
            pool.close();
            peaks.report(f);
            f.put("floodSeconds", Math.round(seconds * 10) / 10.0).put("pingsSent", floodBytes / PingFlooder.PING_BYTES)
                    .put("floodMiBPerSecond", Math.round(floodBytes / seconds / 1048576.0 * 10) / 10.0)
                    .put("honestRequests", HONEST_REQUESTS).put("honestServed", served)
                    .put("retainedHeapMiBBefore", mib(retainedBefore))
                    .put("retainedHeapMiBDuringFlood", mib(retainedDuring));
            assertThat(floodBytes).as("the attack really ran: bytes of PINGs the pool took").isGreaterThan(4L << 20);
            assertThat(retainedDuring - retainedBefore).as("heap the flood left reachable (after a full GC)")
                    .isLessThan(32L << 20);
        }
        assertThat(served).as("honest requests over new connections during the flood").isEqualTo(HONEST_REQUESTS);
        stop.set(true);
        flooder.close();
        honest.close();
        baseline.awaitBackToBaseline(Duration.ofSeconds(20));
        ProcessProbe end = ProcessProbe.now();
        f.put("threadsBefore", baseline.threads.size()).put("threadsAfter", end.threads.size())
                .put("fdsBefore", baseline.fileDescriptors).put("fdsAfter", end.fileDescriptors);
    }

    /** Heap in use after a full collection: what is still reachable, not garbage waiting for the collector. */
    private static long retainedHeap() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static double mib(long bytes) {
        return Math.round(bytes / 1048576.0 * 10) / 10.0;
    }
}
