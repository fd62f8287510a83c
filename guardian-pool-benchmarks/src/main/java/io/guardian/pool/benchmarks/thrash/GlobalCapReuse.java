package io.guardian.pool.benchmarks.thrash;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolStats;
import io.guardian.pool.benchmarks.support.BenchPools;
import io.guardian.pool.benchmarks.support.LocalPeers;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Reuse under a global cap smaller than demand (issue 13, item 5): {@code threads} callers, each
 * doing {@code requests} acquire, one echo request, release cycles against {@code peers} peers
 * picked at random (seeded per thread), through a pool whose {@code max-total-connections} is
 * smaller than the number of callers. What it reports, per round and as the median of rounds:
 * dials per request ({@code connectionsCreated / requests}, the first {@code cap} dials
 * included), the pool's reuse rate, reclaims (connections closed to make room for another peer),
 * throughput, and acquire latency percentiles. Not a JMH benchmark: the figures of interest are
 * counts, which JMH does not report; the timings only show the cost side.
 *
 * <p>Run: {@code java -cp guardian-pool-benchmarks/target/benchmarks.jar
 * io.guardian.pool.benchmarks.thrash.GlobalCapReuse [peers] [cap] [threads] [requests] [rounds]}
 * (defaults 4 4 8 2000 5).
 */
public final class GlobalCapReuse {

    private GlobalCapReuse() {
    }

    /** One round's figures. */
    record Round(long requests, long dials, double reuseRate, long reclaims, double seconds, long[] acquireNanos) {

        double dialsPerRequest() {
            return dials / (double) requests;
        }

        long percentile(double p) {
            int i = (int) Math.min(acquireNanos.length - 1, Math.round(p * (acquireNanos.length - 1)));
            return acquireNanos[i];
        }
    }

    /**
     * @param args peers, cap, threads, requests per thread, rounds
     * @throws InterruptedException if interrupted while the callers run
     */
    public static void main(String[] args) throws InterruptedException {
        int peers = arg(args, 0, 4);
        int cap = arg(args, 1, 4);
        int threads = arg(args, 2, 8);
        int requests = arg(args, 3, 2000);
        int rounds = arg(args, 4, 5);
        System.out.printf("global cap %d, %d peers, %d callers, %d requests each, %d rounds%n", cap, peers, threads,
                requests, rounds);
        List<Round> results = new ArrayList<>();
        try (LocalPeers farm = LocalPeers.start(peers)) {
            for (int r = 0; r < rounds; r++) {
                Round round = run(farm, cap, threads, requests, 1_000L * r);
                results.add(round);
                print("round " + (r + 1), round);
            }
        }
        results.sort((a, b) -> Double.compare(a.dialsPerRequest(), b.dialsPerRequest()));
        print("median", results.get(results.size() / 2));
    }

    private static Round run(LocalPeers farm, int cap, int threads, int requests, long seed)
            throws InterruptedException {
        PeerId[] ids = farm.ids();
        Multiaddr[] addresses = farm.addresses();
        long[] latencies = new long[threads * requests];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long start;
        long end;
        PoolStats stats;
        try (OptimizedConnectionPool pool = BenchPools.create(cap, cap)) {
            CountDownLatch go = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(threads);
            byte[] message = new byte[64];
            for (int t = 0; t < threads; t++) {
                int thread = t;
                Thread worker = new Thread(() -> {
                    Random random = new Random(seed + thread);
                    try {
                        go.await();
                        for (int i = 0; i < requests; i++) {
                            int p = random.nextInt(ids.length);
                            long before = System.nanoTime();
                            try (PeerConnection lease = pool.acquire(ids[p], addresses[p])) {
                                latencies[thread * requests + i] = System.nanoTime() - before;
                                lease.request(message, BenchPools.REQUEST_TIMEOUT);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        done.countDown();
                    }
                }, "caller-" + t);
                worker.start();
            }
            start = System.nanoTime();
            go.countDown();
            done.await();
            end = System.nanoTime();
            stats = pool.getStats();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a caller failed", failure.get());
        }
        Arrays.sort(latencies);
        long total = (long) threads * requests;
        return new Round(total, stats.connectionsCreated(), stats.reuseRate(), stats.evictions(),
                (end - start) / 1e9, latencies);
    }

    private static void print(String label, Round r) {
        System.out.printf("%-8s requests %d, dials %d (%.4f per request), reuse rate %.4f, reclaimed %d, "
                + "%.0f req/s, acquire p50 %.1f us, p99 %.1f us, max %.1f ms%n", label, r.requests(), r.dials(),
                r.dialsPerRequest(), r.reuseRate(), r.reclaims(), r.requests() / r.seconds(),
                r.percentile(0.50) / 1e3, r.percentile(0.99) / 1e3, r.percentile(1.0) / 1e6);
    }

    private static int arg(String[] args, int i, int fallback) {
        return args.length > i ? Integer.parseInt(args[i]) : fallback;
    }
}
