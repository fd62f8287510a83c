package io.guardian.pool.reliability;

import static io.guardian.pool.internal.transport.SpecWire.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.internal.transport.Bytes;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.Mutator;
import io.guardian.pool.internal.transport.RawHandshake;
import io.guardian.pool.internal.transport.SpecWire;
import io.guardian.pool.internal.transport.TestKeys;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The long-size fuzz of the listener (the transport's {@code FuzzTest} is the quick sequential
 * one): seeded cases, 50,000 in the long size, from four raw-socket strangers at once against a
 * 1.1 listener and a listener that also accepts 1.0: random bytes, mutated HELLOs and AUTH-Ds,
 * 1.0 HELLOs to the strict one, stalls, and sessions carrying intact or mutated frame streams sent
 * in random pieces. Every case must end within the deadline; an intact stream must come back as
 * its echo ({@link EchoCheck}); the logs must show no unhandled or untyped exception; afterwards no
 * channel, buffer (Netty's detector at PARANOID), descriptor or thread may be left.
 *
 * <p>Figures: {@code target/reliability/fuzz-listener.json|txt}.
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class ListenerFuzzTest {

    private final FuzzRun fuzz = new FuzzRun();
    private static final int HELLO_ACK_10_LENGTH = 2 + 15 + 38 + 8;

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
                fuzz.run(cases, 1, (index, random) -> listenerCase(index, random, strict, plain));
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
            fuzz.finish(figures, "fuzz-listener", cases, start, baseline, logs, leaks);
        }
    }

    // ---------------------------------------------------------------- listener side

    private static PeerListener listener(boolean acceptPlain) {
        return PeerListener.builder(TestKeys.identity(TestKeys.A_PRIVATE))
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .protocol(FuzzRun.PROTOCOL)
                .acceptPlainHandshake(acceptPlain)
                .handler((from, message) -> message)
                .start();
    }

    private String listenerCase(int index, Random random, PeerListener strict, PeerListener plain) throws Exception {
        Mutator m = new Mutator(random);
        boolean usePlain = random.nextInt(100) < 35;
        PeerListener target = usePlain ? plain : strict;
        long connecting = System.nanoTime();
        try (Socket socket = new Socket()) {
            // RST on close: 100,000 cases must not fill the port range with TIME_WAIT sockets.
            socket.setSoLinger(true, 0);
            socket.setTcpNoDelay(true);
            socket.connect(target.listenAddress().toSocketAddress(), (int) FuzzRun.CASE_DEADLINE.toMillis());
            socket.setSoTimeout((int) FuzzRun.CASE_DEADLINE.toMillis());
            return (usePlain ? "1.0 listener: " : "1.1 listener: ")
                    + (usePlain ? plainCase(m, random, socket) : strictCase(m, random, socket));
        } catch (java.io.EOFException e) {
            // The listener hung up where an honest step deserved an answer. That is right only once
            // its handshake-timeout, which bounds the whole handshake from the accept on, has passed
            // (signing on a loaded machine can take that long); never before.
            long elapsedMs = Figures.millisSince(connecting);
            if (elapsedMs >= FuzzRun.HANDSHAKE_TIMEOUT.toMillis()) {
                return (usePlain ? "1.0 listener: " : "1.1 listener: ") + "handshake slower than handshake-timeout "
                        + "on our side: closed";
            }
            return "VIOLATION: the listener hung up on an honest handshake step " + elapsedMs + " ms after the "
                    + "connect, before its handshake-timeout of " + FuzzRun.HANDSHAKE_TIMEOUT.toMillis() + " ms";
        } catch (SocketTimeoutException e) {
            return "HANG: the listener neither answered nor closed within " + FuzzRun.CASE_DEADLINE;
        } catch (java.net.SocketException e) {
            // Broken pipe or reset: the listener closed while bytes were still coming, as it should on
            // a violation. (An EOF where an honest step deserved an answer stays a violation.)
            return (usePlain ? "1.0 listener: " : "1.1 listener: ") + "closed under our writes";
        }
    }

    private static String strictCase(Mutator m, Random random, Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        int kind = random.nextInt(100);
        byte[] hello = RawHandshake.hello11(RawHandshake.now(), RawHandshake.nonce());
        if (kind < 15) {
            FuzzRun.writeChunked(out, m.randomBytes(random.nextInt(300)), random);
            return endOfInput(socket, "random bytes");
        }
        if (kind < 40) {
            FuzzRun.writeChunked(out, m.mutate(hello), random);
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
            return tookMs <= FuzzRun.HANDSHAKE_TIMEOUT.toMillis() * 4 ? "stalled HELLO ended by the listener's deadline"
                    : "VIOLATION: a stalled handshake stayed open " + tookMs + " ms (handshake-timeout "
                            + FuzzRun.HANDSHAKE_TIMEOUT.toMillis() + " ms)";
        }
        out.write(hello);
        byte[] ack = read(in, RawHandshake.ACK_11_LENGTH);
        if (kind < 50) {
            FuzzRun.writeChunked(out, m.randomBytes(1 + random.nextInt(200)), random);
            return endOfInput(socket, "HELLO then random bytes");
        }
        byte[] authD = RawHandshake.authD(TestKeys.B_PRIVATE, TestKeys.B_PUBLIC, hello, ack);
        if (kind < 65) {
            byte[] bad = m.mutate(authD);
            FuzzRun.writeChunked(out, bad, random);
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
        out.write(SpecWire.OK);
        read(in, 12);
        return "session: " + frames(m, random, socket);
    }

    private static String plainCase(Mutator m, Random random, Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        byte[] hello = SpecWire.hello(SpecWire.V10, Bytes.hex(TestKeys.A_PEER_ID), RawHandshake.now(), new byte[0]);
        if (random.nextInt(100) < 30) {
            FuzzRun.writeChunked(out, m.mutate(hello), random);
            return endOfInput(socket, "mutated 1.0 HELLO");
        }
        out.write(hello);
        read(in, HELLO_ACK_10_LENGTH);
        if (m.chance(0.1)) {
            FuzzRun.writeChunked(out, m.mutate(SpecWire.OK), random);
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
        FuzzRun.writeChunked(socket.getOutputStream(), sent, random);
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
}
