package io.guardian.pool.internal.transport;

import static io.guardian.pool.internal.transport.SpecWire.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seeded random handshakes and frame streams against both sides: random bytes, honest messages with
 * one to three mutations at every step, and valid handshakes followed by mutated frames. Every case
 * must end (a session, or a typed failure, or the other side closing) within its deadline, and
 * afterwards no channel, buffer (leak detector at PARANOID) or thread may be left.
 *
 * <p>Size: {@code -Dguardian.fuzz.cases=N} (default 5000, split between the sides),
 * {@code -Dguardian.fuzz.seed=S} to replay a run.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class FuzzTest {

    private static final Logger LOG = LoggerFactory.getLogger(FuzzTest.class);
    private static final int CASES = Integer.getInteger("guardian.fuzz.cases", 5000);
    private static final long SEED = Long.getLong("guardian.fuzz.seed", 0x6755_6172_6469_616EL);
    /** No case may take longer than this, whatever it sends. */
    private static final Duration CASE_DEADLINE = Duration.ofSeconds(5);
    private static final ProtocolConfig FAST_TIMEOUTS = ProtocolConfig.builder()
            .handshakeTimeout(Duration.ofMillis(300)).maxFrameSize(4096).build();
    private static final PeerId A = PeerId.fromBytes(Bytes.hex(TestKeys.A_PEER_ID));

    private final Map<String, Integer> outcomes = new TreeMap<>();

    @Test
    void everyMutatedOrRandomExchangeEndsCleanlyOnBothSides() throws Exception {
        TestLogging.silent();
        ThreadWatch.awaitNoGuardianThreads();
        long start = System.nanoTime();
        try (LeakWatch leaks = new LeakWatch()) {
            fuzzListeners(new Random(SEED), CASES / 2);
            fuzzDialer(new Random(SEED + 1), CASES - CASES / 2);
            ThreadWatch.awaitNoGuardianThreads();
            assertThat(leaks.collectLeaks()).as("Netty buffer leaks").isEmpty();
        } finally {
            TestLogging.quiet();
        }
        LOG.info("Fuzzed {} cases with seed {} in {} ms: {}", CASES, SEED,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), outcomes);
    }

    // ---- listener side ------------------------------------------------------------------------

    private void fuzzListeners(Random random, int cases) throws Exception {
        Mutator mutator = new Mutator(random);
        try (PeerListener strict = listener(false); PeerListener plain = listener(true)) {
            for (int i = 0; i < cases; i++) {
                boolean usePlain = random.nextInt(4) == 0;
                PeerListener target = usePlain ? plain : strict;
                long caseStart = System.nanoTime();
                try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), target.listenAddress().port())) {
                    socket.setSoTimeout((int) CASE_DEADLINE.toMillis());
                    String outcome = usePlain ? plainListenerCase(mutator, socket) : listenerCase(mutator, socket, i);
                    count("listener: " + outcome);
                } catch (IOException e) {
                    count("listener: reset");
                }
                assertWithinDeadline(caseStart, "listener case " + i);
            }
            // Still healthy after all that: an honest dialer gets through.
            try (Socket honest = RawHandshake.dial11(strict.listenAddress().port())) {
                honest.getOutputStream().write(SpecWire.frame(0, SpecWire.ascii("still there?")));
                assertThat(read(honest.getInputStream(), 5 + 12)).endsWith(SpecWire.ascii("still there?"));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> strict.connectionCount() == 0
                    && plain.connectionCount() == 0);
        }
    }

    private static PeerListener listener(boolean acceptPlain) {
        return PeerListener.builder(TestKeys.identity(TestKeys.A_PRIVATE))
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .protocol(FAST_TIMEOUTS)
                .acceptPlainHandshake(acceptPlain)
                .maxPendingHandshakes(4096)
                .handler((from, message) -> message)
                .start();
    }

    /** One exchange against the 1.1 listener; returns how far an honest-so-far dialer got. */
    private static String listenerCase(Mutator m, Socket socket, int index) throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        String reached;
        int kind = m.nextInt(4);
        byte[] hello = RawHandshake.hello11(RawHandshake.now(), RawHandshake.nonce());
        if (kind == 0) {
            out.write(m.randomBytes(m.nextInt(200)));
            reached = "random bytes";
        } else if (kind == 1) {
            out.write(m.mutate(hello));
            reached = "mutated HELLO";
        } else {
            out.write(hello);
            byte[] ack = read(in, RawHandshake.ACK_11_LENGTH);
            byte[] authD = RawHandshake.authD(TestKeys.B_PRIVATE, TestKeys.B_PUBLIC, hello, ack);
            if (kind == 2) {
                out.write(m.mutate(authD));
                reached = "mutated AUTH-D";
            } else {
                out.write(authD);
                read(in, RawHandshake.AUTH_LENGTH);
                out.write(SpecWire.OK);
                read(in, 12);
                out.write(m.chance(0.7) ? m.mutate(m.frames()) : m.frames());
                reached = "session + frames";
            }
        }
        if (kind < 3 && index % 500 == 499) {
            // Now and then, stall mid-handshake instead of closing: the listener's deadline must end it.
            // (An established session may idle forever, so only handshakes are stalled.)
            SpecWire.drainToEof(in);
            return reached + " (stalled)";
        }
        socket.shutdownOutput();
        SpecWire.drainToEof(in);
        return reached;
    }

    private static String plainListenerCase(Mutator m, Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        byte[] hello = SpecWire.hello(SpecWire.V10, Bytes.hex(TestKeys.A_PEER_ID), RawHandshake.now(), new byte[0]);
        String reached;
        if (m.chance(0.5)) {
            out.write(m.mutate(hello));
            reached = "mutated 1.0 HELLO";
        } else {
            out.write(hello);
            read(in, 2 + 61);
            out.write(m.chance(0.2) ? m.mutate(SpecWire.OK) : SpecWire.OK);
            out.write(m.chance(0.7) ? m.mutate(m.frames()) : m.frames());
            reached = "1.0 session + frames";
        }
        socket.shutdownOutput();
        SpecWire.drainToEof(in);
        return reached;
    }

    // ---- dialer side --------------------------------------------------------------------------

    private void fuzzDialer(Random random, int cases) throws Exception {
        Mutator mutator = new Mutator(random);
        ProtocolConfig v11 = FAST_TIMEOUTS;
        ProtocolConfig v10 = FAST_TIMEOUTS.toBuilder().version(ProtocolVersion.V1_0).build();
        try (NettyConnector connector11 = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE), v11);
                NettyConnector connector10 = new NettyConnector(TestKeys.identity(TestKeys.B_PRIVATE), v10);
                ScriptedServer server = new ScriptedServer()) {
            for (int i = 0; i < cases; i++) {
                boolean plain = random.nextInt(4) == 0;
                long seed = random.nextLong();
                server.next((socket, in, out) -> dialerCaseScript(new Mutator(new Random(seed)), plain, socket, in,
                        out));
                long caseStart = System.nanoTime();
                CompletableFuture<FramedConnection> dial = (plain ? connector10 : connector11)
                        .connect(A, server.address(), Duration.ofSeconds(3));
                count("dialer: " + outcomeOf(dial));
                assertWithinDeadline(caseStart, "dialer case " + i);
            }
        }
    }

    private static String outcomeOf(CompletableFuture<FramedConnection> dial) throws Exception {
        FramedConnection connection;
        try {
            connection = dial.get(CASE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TransportException) {
                return "dial failed: " + ((TransportException) cause).kind();
            }
            return fail("untyped dial failure", cause);
        }
        // Connected: read DATA until the scripted listener's close is noticed.
        while (true) {
            try {
                connection.receive(CASE_DEADLINE);
            } catch (TransportException closed) {
                if (closed.kind() == TransportException.Kind.TIMED_OUT) {
                    // The scripted listener always closes: a case that only times out hangs.
                    return fail("the listener's close was not noticed", closed);
                }
                String reason = connection.closeReason();
                return reason.startsWith("protocol error") ? "connected, then protocol error"
                        : reason.startsWith("peer sent CLOSE") ? "connected, then CLOSE" : "connected, then closed";
            }
        }
    }

    /** The listener's side of a dialer case: honest until a random step, then mutated, then closed. */
    private static void dialerCaseScript(Mutator m, boolean plain, Socket socket, InputStream in, OutputStream out)
            throws IOException {
        try {
            byte[] hello = read(in, plain ? RawHandshake.HELLO_10_LENGTH : RawHandshake.HELLO_11_LENGTH);
            byte[] ack = plain ? SpecWire.helloAck(SpecWire.V10, Bytes.hex(TestKeys.A_PEER_ID), RawHandshake.now(),
                    m.chance(0.2) ? m.randomBytes(m.nextInt(40)) : new byte[0])
                    : RawHandshake.ack11(RawHandshake.now(), RawHandshake.nonce());
            if (m.chance(0.3)) {
                out.write(m.mutate(ack));
                return;
            }
            out.write(ack);
            if (!plain) {
                byte[] authD = read(in, RawHandshake.AUTH_LENGTH);
                byte[] authL = RawHandshake.authL(TestKeys.A_PRIVATE, TestKeys.A_PUBLIC, hello, ack, authD);
                if (m.chance(0.3)) {
                    out.write(m.mutate(authL));
                    return;
                }
                out.write(authL);
            }
            read(in, 12);
            if (m.chance(0.1)) {
                out.write(m.mutate(SpecWire.OK));
                return;
            }
            out.write(SpecWire.OK);
            out.write(m.chance(0.7) ? m.mutate(m.frames()) : m.frames());
        } finally {
            socket.close();
        }
    }

    private void count(String outcome) {
        outcomes.merge(outcome, 1, Integer::sum);
    }

    private static void assertWithinDeadline(long startNanos, String what) {
        Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
        assertThat(took).as(what + " took " + took.toMillis() + " ms").isLessThan(CASE_DEADLINE);
    }

    /** A raw listener whose script is swapped per case (cases run one after another). */
    private static final class ScriptedServer implements AutoCloseable {
        private volatile RawServer.Script script;
        private final RawServer server = new RawServer((socket, in, out) -> script.run(socket, in, out));

        ScriptedServer() throws IOException {
        }

        void next(RawServer.Script next) {
            this.script = next;
        }

        Multiaddr address() {
            return server.address();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
