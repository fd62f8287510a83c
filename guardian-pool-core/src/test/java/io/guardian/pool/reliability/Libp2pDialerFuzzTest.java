package io.guardian.pool.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.PoolStats;
import io.guardian.pool.Transport;
import io.guardian.pool.internal.libp2p.HostileConnection;
import io.guardian.pool.internal.libp2p.HostileLibp2pListener;
import io.guardian.pool.internal.libp2p.Libp2pNode;
import io.guardian.pool.internal.libp2p.Libp2pSettings;
import io.guardian.pool.internal.libp2p.MessageStreams;
import io.guardian.pool.internal.libp2p.Tamper;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.Mutator;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pool's libp2p dialer against an honest listener whose exchange is mutated in flight: seeded
 * cases, {@value FuzzRun#WORKERS} at once, each a fresh identity served by a {@link
 * HostileLibp2pListener} that closes at once, sends random bytes, or runs the honest upgrade and
 * session (our own multistream, Noise and yamux) with one write altered by a {@link Tamper}:
 * flipped, inserted or truncated bytes (the mutations the guardian-db fuzzers use), dropped with a
 * close, or a stall from there on. Raw layer: the multistream answer, Noise message 2, then
 * ciphertext; plaintext layer: any frame of the yamux session (identify, acks, the echo reply).
 * A recording cannot be replayed byte for byte past Noise message 2 (the dialer's ephemeral key is
 * new each time), so the honest exchange is produced live and mutated at the write the case's
 * seed picks, which reaches every layer. Every case must end, within {@link FuzzRun#CASE_DEADLINE},
 * in a reply or a typed {@link GuardianPoolException}; afterwards the pool holds no connection,
 * dial, waiter or stream, and no buffer, thread or descriptor is left.
 *
 * <p>Figures: {@code target/reliability/fuzz-libp2p-dialer.json|txt}.
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class Libp2pDialerFuzzTest {

    private static final String PROTOCOL = PeerListener.DEFAULT_PROTOCOL;
    private static final Duration STEP = Duration.ofMillis(1500);

    private final FuzzRun fuzz = new FuzzRun();

    /** What the listener does in one case, drawn from the case's seed. */
    private record Plan(String layer, Tamper tamper, PeerIdentity identity, Libp2pNode node, byte[] random,
            CompletableFuture<Void> over) {

        void run(HostileConnection c) throws Exception {
            switch (layer) {
                case "accept and close" -> c.close();
                case "accept and reset" -> c.reset();
                case "random bytes" -> {
                    c.write(random);
                    c.close();
                }
                case "raw" -> {
                    c.channel().pipeline().addFirst("raw-tamper", tamper);
                    c.secure(identity, HostileConnection.serveHonestly(node, new Tamper(0, Tamper.Action.PASS, b -> b)));
                }
                default -> c.secure(identity, HostileConnection.serveHonestly(node, tamper));
            }
            // Served by the event loop from here; the case ends the connection when it is over.
            over.get(FuzzRun.CASE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            c.close();
        }

        @Override
        public String toString() {
            return tamper == null ? layer : layer + " " + tamper;
        }
    }

    @Test
    void poolDialerTurnsEveryMutatedLibp2pExchangeIntoAReplyOrATypedError() throws Exception {
        Size size = Size.current();
        int cases = size.pick(200, 5_000);
        Figures figures = Figures.forRun(getClass(), size);
        figures.put("side", "dialer (OptimizedConnectionPool over libp2p: multistream, Noise XX, yamux, streams)");
        ProcessProbe baseline = ProcessProbe.baseline();
        baseline.report(figures.section("process"), "baseline");
        long start = System.nanoTime();
        ExecutorService handlers = Executors.newCachedThreadPool();
        try (LogCapture logs = LogCapture.problems(); LeakWatch leaks = new LeakWatch()) {
            OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.builder()
                    .transport(Transport.LIBP2P)
                    .maxTotalConnections(FuzzRun.WORKERS * 4)
                    .connectionTimeout(STEP)
                    .acquireTimeout(STEP)
                    .maxRetryAttempts(0)
                    // The fuzz is about the wire, not the breaker: never fence a fuzzed peer off.
                    .circuitBreakerFailureThreshold(Integer.MAX_VALUE)
                    .build());
            List<AtomicReference<Plan>> slots = new ArrayList<>();
            List<HostileLibp2pListener> listeners = new ArrayList<>();
            try {
                for (int w = 0; w < FuzzRun.WORKERS; w++) {
                    AtomicReference<Plan> slot = new AtomicReference<>();
                    slots.add(slot);
                    listeners.add(new HostileLibp2pListener((c, index) -> slot.get().run(c), STEP));
                }
                fuzz.run(cases, 3, (index, random) -> {
                    int worker = FuzzRun.WORKER_INDEX.get();
                    return dialerCase(random, pool, slots.get(worker), listeners.get(worker), handlers);
                });
                await("the pool lets go of every fuzzed connection").atMost(Duration.ofSeconds(10)).until(() -> {
                    PoolStats s = pool.getStats();
                    return s.openConnections() == 0 && s.waitingAcquires() == 0 && s.activeStreams() == 0;
                });
                figures.put("pool", PoolFigures.stats(pool.getStats()));
            } finally {
                pool.close();
                for (HostileLibp2pListener l : listeners) {
                    l.close();
                }
            }
            handlers.shutdown();
            assertThat(handlers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            fuzz.finish(figures, "fuzz-libp2p-dialer", cases, start, baseline, logs, leaks);
        } finally {
            handlers.shutdownNow();
        }
    }

    private static Plan draw(Random random, PeerIdentity identity, Libp2pNode node) {
        Mutator m = new Mutator(random);
        int kind = random.nextInt(100);
        byte[] noise = m.randomBytes(random.nextInt(200));
        if (kind < 4) {
            return new Plan("accept and close", null, identity, node, noise, new CompletableFuture<>());
        }
        if (kind < 7) {
            return new Plan("accept and reset", null, identity, node, noise, new CompletableFuture<>());
        }
        if (kind < 12) {
            return new Plan("random bytes", null, identity, node, noise, new CompletableFuture<>());
        }
        Tamper.Action[] actions = Tamper.Action.values();
        // Mostly mutations; some drops and stalls; a few honest cases, whose reply must come back intact.
        int a = random.nextInt(20);
        Tamper.Action action = a < 2 ? Tamper.Action.PASS : a < 15 ? Tamper.Action.MUTATE
                : a < 18 ? Tamper.Action.DROP_AND_CLOSE : actions[3];
        if (kind < 40) {
            // 0: the multistream answer, 1: Noise message 2, 2..3: the first transport messages.
            return new Plan("raw", new Tamper(random.nextInt(4), action, m::mutate), identity, node, noise,
                    new CompletableFuture<>());
        }
        return new Plan("plaintext", new Tamper(random.nextInt(8), action, m::mutate), identity, node, noise,
                new CompletableFuture<>());
    }

    private static String dialerCase(Random random, OptimizedConnectionPool pool, AtomicReference<Plan> slot,
            HostileLibp2pListener listener, ExecutorService handlers) throws Exception {
        PeerIdentity identity = PeerIdentity.generate();
        Libp2pNode node = new Libp2pNode(Libp2pSettings.defaults(identity), handlers, Runnable::run);
        node.handle(PROTOCOL, MessageStreams.serving((from, message) -> message, 64 * 1024, STEP));
        Plan plan = draw(random, identity, node);
        slot.set(plan);
        byte[] message = new byte[1 + random.nextInt(64)];
        random.nextBytes(message);
        CompletableFuture<PeerConnection> acquired = pool.acquireAsync(identity.peerId(), listener.address(), PROTOCOL);
        try {
            PeerConnection lease;
            try {
                lease = acquired.get(FuzzRun.CASE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                acquired.cancel(false);
                return "HANG: acquire did not complete (" + plan + ")";
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                return cause instanceof GuardianPoolException g ? plan + " -> acquire: " + PoolFigures.describe(g)
                        : "VIOLATION: untyped acquire failure " + cause + " (" + plan + ")";
            }
            boolean honest = plan.tamper() != null && plan.tamper().toString().equals("honest");
            try (lease) {
                // An honest exchange must be answered: it shows the cases test the wire, not a broken harness.
                byte[] reply = lease.request(message, honest ? STEP.multipliedBy(2) : STEP);
                if (Arrays.equals(reply, message)) {
                    return plan + " -> echoed";
                }
                // A mutation inside the reply's bytes still frames a message: the peer lied, the wire held.
                return (honest ? "VIOLATION: " : "") + plan + " -> reply altered by the listener";
            } catch (GuardianPoolException e) {
                return (honest ? "VIOLATION: " : "") + plan + " -> request: " + PoolFigures.describe(e);
            } catch (RuntimeException e) {
                return "VIOLATION: untyped request failure " + e + " (" + plan + ")";
            }
        } finally {
            plan.over().complete(null);
        }
    }
}
