package io.guardian.pool.benchmarks.endtoend;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.Transport;
import io.guardian.pool.benchmarks.support.BenchPools;
import io.guardian.pool.benchmarks.support.LocalPeers;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;

/**
 * The 64-byte request/reply subjects of the libp2p comparison, timed one request at a time in a
 * plain loop so that they run in the same JVM invocation as the reference implementations' own
 * runs (JMH cannot time an external process, and ratios only hold within one run): a libp2p pool
 * lease (a stream per lease on a shared connection, 0-RTT select), the guardian-db pooled request
 * of suite 2, and the bare-socket floor. Not API.
 */
public final class RoundTrips {

    /** Request and reply size, as suite 2. */
    public static final int SIZE = SocketFloorBenchmark.MESSAGE_SIZE;
    private static final Duration IDLE = Duration.ofHours(2);

    /** One subject: a round trip to time, and what it holds open. */
    public interface Subject extends AutoCloseable {
        /**
         * One request and its reply, checked to be the echo.
         *
         * @throws Exception if the round trip fails, which voids the run
         */
        void roundTrip() throws Exception;

        @Override
        void close();
    }

    private RoundTrips() {
    }

    /**
     * A pool on {@link Transport#LIBP2P} leasing streams of {@code protocol} to an echo peer;
     * every round trip is acquire, one uvarint-framed message each way, release.
     *
     * @param peer the echo peer
     * @param address where it listens
     * @param protocol the echo protocol it serves message by message
     * @return the subject, with one round trip done to check the echo
     * @throws Exception if that first round trip fails
     */
    public static Subject libp2pLease(PeerId peer, Multiaddr address, String protocol) throws Exception {
        PoolConfig config = PoolConfig.builder()
                .transport(Transport.LIBP2P)
                .maxConnectionsPerPeer(1)
                .maxTotalConnections(4)
                .idleTimeout(IDLE)
                .healthCheckInterval(IDLE)
                .build();
        OptimizedConnectionPool pool = new OptimizedConnectionPool(config, PeerIdentity.generate());
        byte[] request = EndToEnd.message(SIZE);
        Subject subject = new Subject() {
            @Override
            public void roundTrip() {
                try (PeerConnection lease = pool.acquire(peer, address, protocol)) {
                    EndToEnd.checkEcho(request, lease.request(request, BenchPools.REQUEST_TIMEOUT));
                }
            }

            @Override
            public void close() {
                pool.close();
            }
        };
        return checked(subject);
    }

    /**
     * Suite 2's pooled request: a guardian-db pool (one connection) to a {@code PeerListener} echo
     * in this JVM, acquire, one DATA frame each way, release.
     *
     * @return the subject, with one round trip done to check the echo
     * @throws Exception if that first round trip fails
     */
    public static Subject guardianDbPooled() throws Exception {
        PeerListener listener = LocalPeers.startEcho(PeerIdentity.generate());
        OptimizedConnectionPool pool = BenchPools.create(1, 1);
        byte[] request = EndToEnd.message(SIZE);
        Subject subject = new Subject() {
            @Override
            public void roundTrip() {
                try (PeerConnection lease = pool.acquire(listener.peerId(), listener.listenAddress())) {
                    EndToEnd.checkEcho(request, lease.request(request, BenchPools.REQUEST_TIMEOUT));
                }
            }

            @Override
            public void close() {
                pool.close();
                listener.close();
            }
        };
        return checked(subject);
    }

    /**
     * The floor: 64 bytes out and back over one blocking JDK socket, no framing or handshake.
     *
     * @return the subject
     * @throws IOException if loopback cannot be bound or connected
     */
    public static Subject bareSocket() throws IOException {
        BareEchoServer server = new BareEchoServer(SIZE);
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
        socket.setTcpNoDelay(true);
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        byte[] request = EndToEnd.message(SIZE);
        byte[] reply = new byte[SIZE];
        return new Subject() {
            @Override
            public void roundTrip() throws IOException {
                out.write(request);
                EndToEnd.readFully(in, reply);
            }

            @Override
            public void close() {
                try {
                    socket.close();
                } catch (IOException e) {
                    // closing a loopback socket we own; nothing left to release
                }
                server.close();
            }
        };
    }

    private static Subject checked(Subject subject) throws Exception {
        try {
            subject.roundTrip();
            return subject;
        } catch (Exception | Error e) {
            subject.close();
            throw e;
        }
    }

    /**
     * Times {@code n} round trips one at a time after warming for {@code warmupNanos}.
     *
     * @param subject what to time
     * @param warmupNanos warm-up time (JIT), not counted
     * @param n measured round trips
     * @return latencies in microseconds, sorted ascending
     * @throws Exception if a round trip fails
     */
    public static double[] time(Subject subject, long warmupNanos, int n) throws Exception {
        long warmEnd = System.nanoTime() + warmupNanos;
        while (System.nanoTime() < warmEnd) {
            subject.roundTrip();
        }
        double[] micros = new double[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            subject.roundTrip();
            micros[i] = (System.nanoTime() - start) / 1e3;
        }
        Arrays.sort(micros);
        return micros;
    }
}
