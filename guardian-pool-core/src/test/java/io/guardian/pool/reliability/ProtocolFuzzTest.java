package io.guardian.pool.reliability;

import static io.guardian.pool.internal.transport.SpecWire.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.ConnectionClosedException;
import io.guardian.pool.ConnectionTimeoutException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.PoolStats;
import io.guardian.pool.internal.transport.Bytes;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.Mutator;
import io.guardian.pool.internal.transport.RawHandshake;
import io.guardian.pool.internal.transport.SpecWire;
import io.guardian.pool.internal.transport.TestKeys;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The long-size fuzz of both sides (the transport's {@code FuzzTest} is the quick sequential one):
 * seeded cases (50,000 per side in the long size) run by four workers at once, so the listener
 * sees many hostile strangers concurrently, and the dialer side goes through the pool, so that its
 * accounting (permits, failures) is fuzzed along with the handshake code.
 *
 * <p>Every case is reproducible from its index and the seed. A case must end within
 * {@link #CASE_DEADLINE}; the pool may only throw {@link GuardianPoolException}s; the listener
 * must echo intact frame streams intact; the logs must show no unhandled or untyped exception;
 * and afterwards no channel, buffer (Netty's detector at PARANOID), descriptor or thread may be left.
 *
 * <p>Figures: {@code target/reliability/fuzz-listener.json|txt} and {@code fuzz-dialer.json|txt}.
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class ProtocolFuzzTest {

    private static final Duration CASE_DEADLINE = Duration.ofSeconds(5);
    private static final int WORKERS = 4;
    private static final int MAX_FRAME = 4096;
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofMillis(500);
    private static final ProtocolConfig PROTOCOL = ProtocolConfig.builder().handshakeTimeout(HANDSHAKE_TIMEOUT)
            .maxFrameSize(MAX_FRAME).build();
    private static final PeerId A = PeerId.fromBytes(Bytes.hex(TestKeys.A_PEER_ID));
    private static final int HELLO_ACK_10_LENGTH = 2 + 15 + 38 + 8;

    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final LongAdder hangs = new LongAdder();
    private final Distribution caseTimes = new Distribution();

    @Test
    void listenerEndsEveryMutatedOrRandomExchangeCleanlyAndEchoesIntactStreamsIntact() throws Exception {
        Size size = Size.current();
        int cases = size.pick(1_000, 50_000);
        Figures figures = Figures.forRun(getClass(), size);
        figures.put("side", "listener (PeerListener, 1.1 strict and 1.0 plain)");
        ProcessProbe baseline = ProcessProbe.baseline();
        baseline.report(figures.section("process"), "baseline");
        long start = System.nanoTime();
        PeerListener strict = listener(false);
        PeerListener plain = listener(true);
        try (LogCapture logs = LogCapture.problems(); LeakWatch leaks = new LeakWatch()) {
            try {
                run(cases, 1, (index, random) -> listenerCase(index, random, strict, plain));
                // Still serving after all of it: an honest dialer gets its echo.
                try (Socket honest = RawHandshake.dial11(strict.listenAddress().port())) {
                    honest.getOutputStream().write(SpecWire.frame(0, SpecWire.ascii("still there?")));
                    assertThat(read(honest.getInputStream(), 5 + 12)).endsWith(SpecWire.ascii("still there?"));
                }
                await("every fuzz connection closed by the listeners").atMost(Duration.ofSeconds(15))
                        .until(() -> strict.connectionCount() == 0 && plain.connectionCount() == 0);
                figures.put("failedHandshakesCounted", strict.failedHandshakes() + plain.failedHandshakes());
                figures.put("refusedAtCaps", strict.refusedConnections() + plain.refusedConnections());
            } finally {
                strict.close();
                plain.close();
            }
            finish(figures, "fuzz-listener", cases, start, baseline, logs, leaks);
        }
    }

    @Test
    void poolDialerTurnsEveryMutatedOrRandomListenerIntoATypedOutcomeAndLeaksNoPermit() throws Exception {
        Size size = Size.current();
        int cases = size.pick(1_000, 50_000);
        Figures figures = Figures.forRun(getClass(), size);
        figures.put("side", "dialer (OptimizedConnectionPool with the Netty dialer, 1.1 and 1.0)");
        ProcessProbe baseline = ProcessProbe.baseline();
        baseline.report(figures.section("process"), "baseline");
        long start = System.nanoTime();
        try (LogCapture logs = LogCapture.problems(); LeakWatch leaks = new LeakWatch()) {
            OptimizedConnectionPool strictPool = new OptimizedConnectionPool(dialerConfig(ProtocolVersion.V1_1));
            OptimizedConnectionPool plainPool = new OptimizedConnectionPool(dialerConfig(ProtocolVersion.V1_0));
            List<ServerSocket> servers = new ArrayList<>();
            try {
                for (int i = 0; i < WORKERS; i++) {
                    ServerSocket server = new ServerSocket();
                    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
                    server.setSoTimeout((int) CASE_DEADLINE.toMillis());
                    servers.add(server);
                }
                run(cases, 2, (index, random) -> dialerCase(index, random, strictPool, plainPool,
                        servers.get(WORKER_INDEX.get())));
                for (OptimizedConnectionPool pool : List.of(strictPool, plainPool)) {
                    PoolStats s = pool.getStats();
                    assertThat(s.openConnections()).as("connections, dials or permits left in the pool: " + s)
                            .isZero();
                    assertThat(s.waitingAcquires()).isZero();
                }
                figures.put("strictPool", ChaosSoakTest.statsFigures(strictPool.getStats()));
                figures.put("plainPool", ChaosSoakTest.statsFigures(plainPool.getStats()));
            } finally {
                strictPool.close();
                plainPool.close();
                for (ServerSocket s : servers) {
                    s.close();
                }
            }
            finish(figures, "fuzz-dialer", cases, start, baseline, logs, leaks);
        }
    }

    private void finish(Figures figures, String name, int cases, long start, ProcessProbe baseline, LogCapture logs,
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

    // ---------------------------------------------------------------- running cases

    @FunctionalInterface
    private interface Case {
        String run(int index, Random random) throws Exception;
    }

    /** Which worker runs on the current thread (0 .. WORKERS-1). */
    private static final ThreadLocal<Integer> WORKER_INDEX = new ThreadLocal<>();

    private void run(int cases, long side, Case body) throws Exception {
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS, r -> {
            Thread t = new Thread(r, "fuzz-worker");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> running = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            int worker = w;
            running.add(workers.submit(() -> {
                WORKER_INDEX.set(worker);
                int index;
                while ((index = next.getAndIncrement()) < cases) {
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

    // ---------------------------------------------------------------- listener side

    private static PeerListener listener(boolean acceptPlain) {
        return PeerListener.builder(TestKeys.identity(TestKeys.A_PRIVATE))
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .protocol(PROTOCOL)
                .acceptPlainHandshake(acceptPlain)
                .handler((from, message) -> message)
                .start();
    }

    private String listenerCase(int index, Random random, PeerListener strict, PeerListener plain) throws Exception {
        Mutator m = new Mutator(random);
        boolean usePlain = random.nextInt(100) < 35;
        PeerListener target = usePlain ? plain : strict;
        long[] lastAnswer = {System.nanoTime()};
        try (Socket socket = new Socket()) {
            // RST on close: 100,000 cases must not fill the port range with TIME_WAIT sockets.
            socket.setSoLinger(true, 0);
            socket.setTcpNoDelay(true);
            socket.connect(target.listenAddress().toSocketAddress(), (int) CASE_DEADLINE.toMillis());
            socket.setSoTimeout((int) CASE_DEADLINE.toMillis());
            return (usePlain ? "1.0 listener: " : "1.1 listener: ")
                    + (usePlain ? plainCase(m, random, socket, lastAnswer) : strictCase(m, random, socket, lastAnswer));
        } catch (java.io.EOFException e) {
            // The listener hung up where an honest step deserved an answer. That is right only if we
            // were slower than its per-read handshake deadline (signing on a loaded machine can be).
            long silentMs = Figures.millisSince(lastAnswer[0]);
            if (silentMs >= HANDSHAKE_TIMEOUT.toMillis()) {
                return (usePlain ? "1.0 listener: " : "1.1 listener: ") + "our side took " + silentMs
                        + " ms, past handshake-timeout: closed";
            }
            return "VIOLATION: the listener hung up on an honest step after " + silentMs + " ms: " + e;
        } catch (SocketTimeoutException e) {
            return "HANG: the listener neither answered nor closed within " + CASE_DEADLINE;
        } catch (java.net.SocketException e) {
            // Broken pipe or reset: the listener closed while bytes were still coming, as it should on
            // a violation. (An EOF where an honest step deserved an answer stays a violation.)
            return (usePlain ? "1.0 listener: " : "1.1 listener: ") + "closed under our writes";
        }
    }

    private static String strictCase(Mutator m, Random random, Socket socket, long[] lastAnswer)
            throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        int kind = random.nextInt(100);
        byte[] hello = RawHandshake.hello11(RawHandshake.now(), RawHandshake.nonce());
        if (kind < 15) {
            writeChunked(out, m.randomBytes(random.nextInt(300)), random);
            return endOfInput(socket, "random bytes");
        }
        if (kind < 40) {
            writeChunked(out, m.mutate(hello), random);
            return endOfInput(socket, "mutated HELLO");
        }
        if (kind < 45) {
            out.write(SpecWire.hello(SpecWire.V10, Bytes.hex(TestKeys.A_PEER_ID), RawHandshake.now(), new byte[0]));
            socket.shutdownOutput();
            int answered = SpecWire.drainToEof(in);
            return answered == 0 ? "1.0 HELLO refused without answer"
                    : "VIOLATION: a listener requiring 1.1 answered a 1.0 HELLO with " + answered + " bytes";
        }
        if (kind == 99) {
            // Stall mid-HELLO without closing: the listener's handshake deadline must end it.
            out.write(hello, 0, 1 + random.nextInt(hello.length - 1));
            long start = System.nanoTime();
            SpecWire.drainToEof(in);
            long tookMs = Figures.millisSince(start);
            return tookMs <= HANDSHAKE_TIMEOUT.toMillis() * 4 ? "stalled HELLO ended by the listener's deadline"
                    : "VIOLATION: a stalled handshake stayed open " + tookMs + " ms (handshake-timeout "
                            + HANDSHAKE_TIMEOUT.toMillis() + " ms)";
        }
        out.write(hello);
        lastAnswer[0] = System.nanoTime();
        byte[] ack = read(in, RawHandshake.ACK_11_LENGTH);
        lastAnswer[0] = System.nanoTime();
        if (kind < 50) {
            writeChunked(out, m.randomBytes(1 + random.nextInt(200)), random);
            return endOfInput(socket, "HELLO then random bytes");
        }
        byte[] authD = RawHandshake.authD(TestKeys.B_PRIVATE, TestKeys.B_PUBLIC, hello, ack);
        if (kind < 65) {
            byte[] bad = m.mutate(authD);
            writeChunked(out, bad, random);
            socket.shutdownOutput();
            byte[] answer = drainAll(in);
            // A listener may answer only what verifies: the honest AUTH-D followed by extra bytes.
            boolean honestPrefix = bad.length >= authD.length && java.util.Arrays.equals(bad, 0, authD.length,
                    authD, 0, authD.length);
            if (answer.length > 0 && !honestPrefix) {
                return "VIOLATION: the listener answered a mutated AUTH-D with " + answer.length + " bytes";
            }
            return answer.length == 0 ? "mutated AUTH-D refused without answer" : "honest AUTH-D plus extra bytes";
        }
        out.write(authD);
        read(in, RawHandshake.AUTH_LENGTH);
        lastAnswer[0] = System.nanoTime();
        out.write(SpecWire.OK);
        read(in, 12);
        return "session: " + frames(m, random, socket);
    }

    private static String plainCase(Mutator m, Random random, Socket socket, long[] lastAnswer)
            throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        byte[] hello = SpecWire.hello(SpecWire.V10, Bytes.hex(TestKeys.A_PEER_ID), RawHandshake.now(), new byte[0]);
        if (random.nextInt(100) < 30) {
            writeChunked(out, m.mutate(hello), random);
            return endOfInput(socket, "mutated 1.0 HELLO");
        }
        out.write(hello);
        lastAnswer[0] = System.nanoTime();
        read(in, HELLO_ACK_10_LENGTH);
        lastAnswer[0] = System.nanoTime();
        if (m.chance(0.1)) {
            writeChunked(out, m.mutate(SpecWire.OK), random);
            return endOfInput(socket, "mutated HANDSHAKE_OK");
        }
        out.write(SpecWire.OK);
        read(in, 12);
        return "session: " + frames(m, random, socket);
    }

    /**
     * Sends a frame stream (mutated 60 % of the time) in random chunks, ends the input and reads
     * everything the listener sends back. An intact stream must come back as its DATA echoed in
     * order (a prefix of it: the listener may close on our end of input before every reply is out)
     * and PONGs carrying the PINGs' bytes.
     */
    private static String frames(Mutator m, Random random, Socket socket) throws IOException {
        byte[] stream = m.frames();
        boolean mutate = m.chance(0.6);
        byte[] sent = mutate ? m.mutate(stream) : stream;
        writeChunked(socket.getOutputStream(), sent, random);
        socket.shutdownOutput();
        byte[] received;
        try {
            received = drainAll(socket.getInputStream());
        } catch (java.net.SocketException reset) {
            return mutate ? "mutated frames, reset" : "frames, reset";
        }
        if (mutate) {
            return "mutated frames, closed";
        }
        String echo = EchoCheck.check(stream, received);
        return echo == null ? "frames echoed intact" : "VIOLATION: " + echo;
    }

    private static String endOfInput(Socket socket, String what) throws IOException {
        socket.shutdownOutput();
        int answered = SpecWire.drainToEof(socket.getInputStream());
        return what + (answered == 0 ? ", closed without answer" : ", answered then closed");
    }

    private static byte[] drainAll(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) != -1) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    /** Writes in one to five pieces, flushing each, so decoders see messages split across reads. */
    private static void writeChunked(OutputStream out, byte[] bytes, Random random) throws IOException {
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

    // ---------------------------------------------------------------- dialer side

    private static PoolConfig dialerConfig(ProtocolVersion version) {
        return PoolConfig.builder()
                .maxConnectionsPerPeer(WORKERS * 2)
                .maxTotalConnections(WORKERS * 2)
                .connectionTimeout(Duration.ofSeconds(3))
                .acquireTimeout(Duration.ofSeconds(3))
                .maxRetryAttempts(0)
                // The fuzz is about the handshake, not the breaker: never fence the fuzzed peer off.
                .circuitBreakerFailureThreshold(Integer.MAX_VALUE)
                .protocol(PROTOCOL.toBuilder().version(version).build())
                .build();
    }

    private String dialerCase(int index, Random random, OptimizedConnectionPool strictPool,
            OptimizedConnectionPool plainPool, ServerSocket server) throws Exception {
        Mutator m = new Mutator(random);
        boolean plain = random.nextInt(100) < 40;
        OptimizedConnectionPool pool = plain ? plainPool : strictPool;
        String prefix = plain ? "1.0 dialer: " : "1.1 dialer: ";
        Multiaddr address = Multiaddr.parse("/ip4/127.0.0.1/tcp/" + server.getLocalPort());
        CompletableFuture<PeerConnection> acquired = pool.acquireAsync(A, address);
        Socket socket = null;
        String script;
        boolean stall = false;
        try {
            socket = server.accept();
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(2_000);
            if (random.nextBoolean()) {
                socket.setSoLinger(true, 0);
            }
            script = listenerScript(m, random, plain, socket);
            stall = script.endsWith("stall");
        } catch (SocketTimeoutException e) {
            acquired.cancel(false);
            return "VIOLATION: the pool did not dial or stopped mid-handshake: " + e.getMessage();
        } catch (IOException e) {
            script = "dialer hung up";
        } finally {
            if (socket != null && !stall) {
                socket.close();
            }
        }
        PeerConnection lease;
        try {
            lease = acquired.get(CASE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            acquired.cancel(false);
            if (socket != null) {
                socket.close();
            }
            return "HANG: acquire did not complete within " + CASE_DEADLINE + " (" + script + ")";
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof GuardianPoolException) {
                return prefix + script + " -> " + ChaosSoakTest.describe((GuardianPoolException) cause);
            }
            return "VIOLATION: untyped acquire failure " + cause;
        }
        return prefix + script + " -> connected, " + useAndDrain(lease, socket, stall);
    }

    /** The listener's side of a dialer case: honest up to a random step, then mutated, then closed. */
    private static String listenerScript(Mutator m, Random random, boolean plain, Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        int kind = random.nextInt(100);
        if (kind < 10) {
            writeChunked(out, m.randomBytes(random.nextInt(200)), random);
            return "random bytes";
        }
        if (kind < 15) {
            return "accept and close";
        }
        byte[] hello = read(in, plain ? RawHandshake.HELLO_10_LENGTH : RawHandshake.HELLO_11_LENGTH);
        byte[] ack = plain ? SpecWire.helloAck(SpecWire.V10, Bytes.hex(TestKeys.A_PEER_ID), RawHandshake.now(),
                new byte[0]) : RawHandshake.ack11(RawHandshake.now(), RawHandshake.nonce());
        if (kind < 45) {
            writeChunked(out, m.mutate(ack), random);
            return "mutated HELLO-ACK";
        }
        out.write(ack);
        if (!plain) {
            byte[] authD = read(in, RawHandshake.AUTH_LENGTH);
            byte[] authL = RawHandshake.authL(TestKeys.A_PRIVATE, TestKeys.A_PUBLIC, hello, ack, authD);
            if (kind < 60) {
                writeChunked(out, m.mutate(authL), random);
                return "mutated AUTH-L";
            }
            out.write(authL);
        }
        read(in, 12);
        if (kind < 70) {
            writeChunked(out, m.mutate(SpecWire.OK), random);
            return "mutated HANDSHAKE_OK";
        }
        out.write(SpecWire.OK);
        out.flush();
        if (kind >= 98) {
            return "handshake then stall";
        }
        boolean mutate = m.chance(0.6);
        byte[] stream = m.frames();
        writeChunked(out, mutate ? m.mutate(stream) : stream, random);
        return mutate ? "handshake then mutated frames" : "handshake then frames";
    }

    /**
     * Uses a lease the fuzzed listener granted: a request against a stalled listener must time
     * out with a typed exception; then every DATA it sent is read until the close is noticed. Only
     * typed exceptions may come out; the connection must never go back to the pool idle.
     */
    private static String useAndDrain(PeerConnection lease, Socket socket, boolean stall) throws IOException {
        long deadline = System.nanoTime() + CASE_DEADLINE.toNanos();
        int messages = 0;
        try {
            if (stall) {
                try {
                    lease.request(new byte[] {1}, Duration.ofMillis(200));
                    return "VIOLATION: a stalled listener answered";
                } catch (ConnectionTimeoutException expected) {
                    socket.close();
                }
            }
            while (System.nanoTime() < deadline) {
                try {
                    lease.receive(Duration.ofMillis(500));
                    messages++;
                } catch (ConnectionTimeoutException notYet) {
                    // the close is still on its way
                }
            }
            lease.markFailed(new IllegalStateException("fuzz case over"));
            return "HANG: the listener's close was not noticed within " + CASE_DEADLINE;
        } catch (ConnectionClosedException closed) {
            lease.close();
            return (messages > 0 ? "read DATA, " : "") + "then ConnectionClosedException";
        } catch (GuardianPoolException other) {
            lease.markFailed(other);
            return "then " + ChaosSoakTest.describe(other);
        } catch (RuntimeException untyped) {
            lease.markFailed(untyped);
            return "VIOLATION: untyped " + untyped;
        }
    }
}
