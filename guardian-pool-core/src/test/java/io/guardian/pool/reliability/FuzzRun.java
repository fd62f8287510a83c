package io.guardian.pool.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.internal.transport.Bytes;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.TestKeys;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.peer.PeerId;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runs seeded fuzz cases on {@value #WORKERS} threads at once and keeps their outcomes, for the
 * listener and dialer fuzz tests. Case {@code i} draws from its own {@link Random}, derived from
 * the suite seed, the side and {@code i} alone, so any case can be replayed whatever ran before
 * it ({@code -Dguardian.reliability.case=i}); a case that runs past {@link #CASE_DEADLINE} counts
 * as a hang.
 */
final class FuzzRun {

    static final Duration CASE_DEADLINE = Duration.ofSeconds(5);
    static final int WORKERS = 4;
    static final int MAX_FRAME = 4096;
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofMillis(500);
    /** Short handshake deadline (a stalled case ends quickly) and a small frame limit (oversized is cheap). */
    static final ProtocolConfig PROTOCOL = ProtocolConfig.builder().handshakeTimeout(HANDSHAKE_TIMEOUT)
            .maxFrameSize(MAX_FRAME).build();
    static final PeerId A = PeerId.fromBytes(Bytes.hex(TestKeys.A_PEER_ID));

    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final LongAdder hangs = new LongAdder();
    private final Distribution caseTimes = new Distribution();

    /** One case: returns its outcome, starting with VIOLATION or HANG when a rule was broken. */
    @FunctionalInterface
    interface Case {
        String run(int index, Random random) throws Exception;
    }

    /** Which worker runs on the current thread (0 .. WORKERS-1). */
    static final ThreadLocal<Integer> WORKER_INDEX = new ThreadLocal<>();

    /** Runs cases 0 .. cases-1 on {@link #WORKERS} threads; {@code side} salts the per-case seeds. */
    void run(int cases, long side, Case body) throws Exception {
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS, r -> {
            Thread t = new Thread(r, "fuzz-worker");
            t.setDaemon(true);
            return t;
        });
        // -Dguardian.reliability.case=N replays case N alone (with the seed of the run that failed).
        Integer only = Integer.getInteger("guardian.reliability.case");
        int end = only == null ? cases : only + 1;
        AtomicInteger next = new AtomicInteger(only == null ? 0 : only);
        List<Future<?>> running = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            int worker = w;
            running.add(workers.submit(() -> {
                WORKER_INDEX.set(worker);
                int index;
                while ((index = next.getAndIncrement()) < end) {
                    // Each case has its own stream: reproducible from (seed, side, index) alone.
                    Random random = new Random(Size.SEED ^ (side << 56) ^ (0x9E37_79B9_7F4A_7C15L * (index + 1)));
                    long start = System.nanoTime();
                    String outcome;
                    try {
                        outcome = body.run(index, random);
                    } catch (Exception | AssertionError e) {
                        outcome = "VIOLATION: " + e;
                    }
                    long took = System.nanoTime() - start;
                    caseTimes.add(took);
                    if (took > CASE_DEADLINE.toNanos() || outcome.startsWith("HANG")) {
                        hangs.increment();
                        violations.add("case " + index + " took " + took / 1_000_000 + " ms: " + outcome);
                    } else if (outcome.startsWith("VIOLATION")) {
                        violations.add("case " + index + ": " + outcome);
                    }
                    outcomes.computeIfAbsent(outcome.startsWith("VIOLATION") ? "VIOLATION" : outcome,
                            k -> new LongAdder()).increment();
                }
                return null;
            }));
        }
        workers.shutdown();
        for (Future<?> f : running) {
            f.get();
        }
        assertThat(workers.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    }

    /** Checks the process is back at its baseline, writes the figures, then asserts the rules. */
    void finish(Figures figures, String name, int cases, long start, ProcessProbe baseline, LogCapture logs,
            LeakWatch leaks) {
        baseline.awaitBackToBaseline(Duration.ofSeconds(30));
        ProcessProbe.now().report(figures.section("process"), "after");
        figures.section("process").put("threadsLeft", baseline.newThreads());
        List<String> leakReports = leaks.collectLeaks();
        figures.put("cases", cases);
        figures.put("workers", WORKERS);
        figures.put("tookMs", Figures.millisSince(start));
        figures.put("caseDeadline", CASE_DEADLINE);
        figures.put("hangs", hangs.sum());
        figures.put("violations", violations.size());
        if (!violations.isEmpty()) {
            figures.put("violationSamples", new ArrayList<>(violations.subList(0, Math.min(10, violations.size()))));
        }
        caseTimes.summary(figures.section("caseTime"));
        Map<String, Long> byOutcome = new TreeMap<>();
        outcomes.forEach((k, v) -> byOutcome.put(k, v.sum()));
        figures.put("outcomes", byOutcome);
        figures.put("nettyLeakReports", leakReports.size());
        figures.put("suspiciousLogLines", logs.suspicious().size());
        if (!logs.suspicious().isEmpty()) {
            figures.put("suspiciousSamples", logs.suspicious().subList(0, Math.min(5, logs.suspicious().size())));
        }
        figures.put("logLinesByLevel", logs.countByLevel());
        figures.write(name);

        assertThat(hangs.sum()).as("cases that did not end within " + CASE_DEADLINE).isZero();
        assertThat(violations).as("cases that broke a rule").isEmpty();
        assertThat(logs.suspicious()).as("unhandled or untyped exceptions in the logs").isEmpty();
        assertThat(leakReports).as("Netty leak reports").isEmpty();
    }

    /** Writes in one to five pieces, flushing each, so decoders see messages split across reads. */
    static void writeChunked(OutputStream out, byte[] bytes, Random random) throws IOException {
        int pieces = 1 + random.nextInt(5);
        int at = 0;
        for (int i = 0; i < pieces && at < bytes.length; i++) {
            int n = i == pieces - 1 ? bytes.length - at : random.nextInt(bytes.length - at + 1);
            out.write(bytes, at, n);
            out.flush();
            at += n;
        }
        if (at < bytes.length) {
            out.write(bytes, at, bytes.length - at);
        }
        out.flush();
    }
}
