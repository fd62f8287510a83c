package io.guardian.pool.reliability;

import static io.guardian.pool.internal.transport.SpecWire.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.ConnectionClosedException;
import io.guardian.pool.ConnectionTimeoutException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.Transport;
import io.guardian.pool.PoolStats;
import io.guardian.pool.internal.transport.Bytes;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.Mutator;
import io.guardian.pool.internal.transport.RawHandshake;
import io.guardian.pool.internal.transport.SpecWire;
import io.guardian.pool.internal.transport.TestKeys;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.Multiaddr;
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
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The long-size fuzz of the dialer, through the pool: seeded cases, 50,000 in the long size, four
 * at once, each a raw listener on 127.0.0.1 that answers honestly up to a random step and then
 * with mutated or random bytes (HELLO-ACK, AUTH-L, HANDSHAKE_OK, frame streams), or stalls. The
 * pool may only fail with {@link GuardianPoolException}s, every lease it grants must end in a typed
 * outcome, and afterwards it must hold no connection, dial or permit; no channel, buffer,
 * descriptor or thread may be left.
 *
 * <p>Figures: {@code target/reliability/fuzz-dialer.json|txt}.
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class DialerFuzzTest {

    private final FuzzRun fuzz = new FuzzRun();

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
                for (int i = 0; i < FuzzRun.WORKERS; i++) {
                    ServerSocket server = new ServerSocket();
                    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
                    server.setSoTimeout((int) FuzzRun.CASE_DEADLINE.toMillis());
                    servers.add(server);
                }
                fuzz.run(cases, 2, (index, random) -> dialerCase(index, random, strictPool, plainPool,
                        servers.get(FuzzRun.WORKER_INDEX.get())));
                for (OptimizedConnectionPool pool : List.of(strictPool, plainPool)) {
                    PoolStats s = pool.getStats();
                    assertThat(s.openConnections()).as("connections, dials or permits left in the pool: " + s)
                            .isZero();
                    assertThat(s.waitingAcquires()).isZero();
                }
                figures.put("strictPool", PoolFigures.stats(strictPool.getStats()));
                figures.put("plainPool", PoolFigures.stats(plainPool.getStats()));
            } finally {
                strictPool.close();
                plainPool.close();
                for (ServerSocket s : servers) {
                    s.close();
                }
            }
            fuzz.finish(figures, "fuzz-dialer", cases, start, baseline, logs, leaks);
        }
    }

    // ---------------------------------------------------------------- dialer side

    private static PoolConfig dialerConfig(ProtocolVersion version) {
        return PoolConfig.builder()
                .transport(Transport.GUARDIAN) // the fuzzed listener speaks guardian-db
                .maxConnectionsPerPeer(FuzzRun.WORKERS * 2)
                .maxTotalConnections(FuzzRun.WORKERS * 2)
                .connectionTimeout(Duration.ofSeconds(3))
                .acquireTimeout(Duration.ofSeconds(3))
                .maxRetryAttempts(0)
                // The fuzz is about the handshake, not the breaker: never fence the fuzzed peer off.
                .circuitBreakerFailureThreshold(Integer.MAX_VALUE)
                .protocol(FuzzRun.PROTOCOL.toBuilder().version(version).build())
                .build();
    }

    private String dialerCase(int index, Random random, OptimizedConnectionPool strictPool,
            OptimizedConnectionPool plainPool, ServerSocket server) throws Exception {
        Mutator m = new Mutator(random);
        boolean plain = random.nextInt(100) < 40;
        OptimizedConnectionPool pool = plain ? plainPool : strictPool;
        String prefix = plain ? "1.0 dialer: " : "1.1 dialer: ";
        Multiaddr address = Multiaddr.parse("/ip4/127.0.0.1/tcp/" + server.getLocalPort());
        CompletableFuture<PeerConnection> acquired = pool.acquireAsync(FuzzRun.A, address);
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
            lease = acquired.get(FuzzRun.CASE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            acquired.cancel(false);
            if (socket != null) {
                socket.close();
            }
            return "HANG: acquire did not complete within " + FuzzRun.CASE_DEADLINE + " (" + script + ")";
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof GuardianPoolException) {
                return prefix + script + " -> " + PoolFigures.describe((GuardianPoolException) cause);
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
            FuzzRun.writeChunked(out, m.randomBytes(random.nextInt(200)), random);
            return "random bytes";
        }
        if (kind < 15) {
            return "accept and close";
        }
        byte[] hello = read(in, plain ? RawHandshake.HELLO_10_LENGTH : RawHandshake.HELLO_11_LENGTH);
        byte[] ack = plain ? SpecWire.helloAck(SpecWire.V10, Bytes.hex(TestKeys.A_PEER_ID), RawHandshake.now(),
                new byte[0]) : RawHandshake.ack11(RawHandshake.now(), RawHandshake.nonce());
        if (kind < 45) {
            FuzzRun.writeChunked(out, m.mutate(ack), random);
            return "mutated HELLO-ACK";
        }
        out.write(ack);
        if (!plain) {
            byte[] authD = read(in, RawHandshake.AUTH_LENGTH);
            byte[] authL = RawHandshake.authL(TestKeys.A_PRIVATE, TestKeys.A_PUBLIC, hello, ack, authD);
            if (kind < 60) {
                FuzzRun.writeChunked(out, m.mutate(authL), random);
                return "mutated AUTH-L";
            }
            out.write(authL);
        }
        read(in, 12);
        if (kind < 70) {
            FuzzRun.writeChunked(out, m.mutate(SpecWire.OK), random);
            return "mutated HANDSHAKE_OK";
        }
        out.write(SpecWire.OK);
        out.flush();
        if (kind >= 98) {
            return "handshake then stall";
        }
        boolean mutate = m.chance(0.6);
        byte[] stream = m.frames();
        FuzzRun.writeChunked(out, mutate ? m.mutate(stream) : stream, random);
        return mutate ? "handshake then mutated frames" : "handshake then frames";
    }

    /**
     * Uses a lease the fuzzed listener granted: a request against a stalled listener must time
     * out with a typed exception; then every DATA it sent is read until the close is noticed. Only
     * typed exceptions may come out; the connection must never go back to the pool idle.
     */
    private static String useAndDrain(PeerConnection lease, Socket socket, boolean stall) throws IOException {
        long deadline = System.nanoTime() + FuzzRun.CASE_DEADLINE.toNanos();
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
            return "HANG: the listener's close was not noticed within " + FuzzRun.CASE_DEADLINE;
        } catch (ConnectionClosedException closed) {
            lease.close();
            return (messages > 0 ? "read DATA, " : "") + "then ConnectionClosedException";
        } catch (GuardianPoolException other) {
            lease.markFailed(other);
            return "then " + PoolFigures.describe(other);
        } catch (RuntimeException untyped) {
            lease.markFailed(untyped);
            return "VIOLATION: untyped " + untyped;
        }
    }
}
