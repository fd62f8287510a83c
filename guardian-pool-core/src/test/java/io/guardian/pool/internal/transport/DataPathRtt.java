package io.guardian.pool.internal.transport;

import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Throwaway measurement (not a test): one thread doing 64-byte request/response round trips, the
 * way a pooled lease does, against a bare JDK socket echo as the baseline. Prints median, p90, p99
 * and mean in microseconds. Run it in its own JVM per setting, e.g.
 *
 * <pre>
 * java -cp ... io.guardian.pool.internal.transport.DataPathRtt jdk|framed|listener|listener-inline [rounds]
 *      [-Dguardian.transport.spinMicros=0] [-Dguardian.transport.nio=true]
 * </pre>
 *
 * <ul>
 * <li>{@code jdk}: blocking JDK client and echo server, the floor.</li>
 * <li>{@code framed}: our {@link FramedConnection} against a blocking JDK server that echoes DATA
 * frames, isolating the dialer's data path (send hop, mailbox hand-off).</li>
 * <li>{@code listener}: {@link FramedConnection} against a {@link PeerListener} with its default
 * handler pool (one more hand-off on the listening side).</li>
 * <li>{@code listener-inline}: the same with the handler run on the event loop
 * ({@code handlerExecutor(Runnable::run)}), for trivial handlers.</li>
 * </ul>
 */
public final class DataPathRtt {

    private static final int SIZE = 64;

    private DataPathRtt() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "framed";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 50_000;
        long[] samples;
        switch (mode) {
            case "jdk":
                samples = jdk(rounds);
                break;
            case "framed":
                samples = framed(rounds);
                break;
            case "listener":
                samples = listener(rounds, false);
                break;
            case "listener-inline":
                samples = listener(rounds, true);
                break;
            default:
                throw new IllegalArgumentException("mode: jdk | framed | listener | listener-inline");
        }
        Arrays.sort(samples);
        double mean = Arrays.stream(samples).average().orElse(0);
        System.out.printf("%-16s spin=%sus transport=%s rounds=%d  median %.1f  p90 %.1f  p99 %.1f  mean %.1f us%n",
                mode, System.getProperty("guardian.transport.spinMicros", String.valueOf(Mailbox.DEFAULT_SPIN_MICROS)),
                Boolean.getBoolean("guardian.transport.nio") ? "nio" : "epoll", rounds, micros(samples, 0.5),
                micros(samples, 0.9), micros(samples, 0.99), mean / 1000);
    }

    private static double micros(long[] sorted, double quantile) {
        return sorted[(int) Math.min(sorted.length - 1, sorted.length * quantile)] / 1000.0;
    }

    private static long[] jdk(int rounds) throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread echo = daemon(() -> {
                try (Socket socket = server.accept()) {
                    socket.setTcpNoDelay(true);
                    DataInputStream in = new DataInputStream(socket.getInputStream());
                    OutputStream out = socket.getOutputStream();
                    byte[] buffer = new byte[SIZE];
                    while (true) {
                        in.readFully(buffer);
                        out.write(buffer);
                    }
                } catch (IOException done) {
                    // client closed
                }
            });
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                client.setTcpNoDelay(true);
                DataInputStream in = new DataInputStream(client.getInputStream());
                OutputStream out = client.getOutputStream();
                byte[] request = new byte[SIZE];
                byte[] reply = new byte[SIZE];
                return measure(rounds, () -> {
                    out.write(request);
                    in.readFully(reply);
                });
            } finally {
                echo.interrupt();
            }
        }
    }

    private static long[] framed(int rounds) throws Exception {
        try (RawServer server = new RawServer((socket, in, out) -> {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(0);
            RawHandshake.listen11(in, out);
            byte[] frame = new byte[Frame.HEADER + SIZE];
            DataInputStream data = new DataInputStream(in);
            while (true) {
                data.readFully(frame);
                out.write(frame);
            }
        });
                NettyConnector connector = new NettyConnector(PeerIdentity.generate(), ProtocolConfig.defaults())) {
            FramedConnection connection = connector.connect(PeerId.fromBytes(Bytes.hex(TestKeys.A_PEER_ID)),
                    server.address(), Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
            return roundTrips(connection, rounds);
        }
    }

    private static long[] listener(int rounds, boolean inline) throws Exception {
        PeerListener.Builder builder = PeerListener.builder(PeerIdentity.generate())
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).handler((from, message) -> message);
        if (inline) {
            builder.handlerExecutor(Runnable::run);
        }
        try (PeerListener listener = builder.start();
                NettyConnector connector = new NettyConnector(PeerIdentity.generate(), ProtocolConfig.defaults())) {
            FramedConnection connection = connector.connect(listener.peerId(), listener.listenAddress(),
                    Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
            return roundTrips(connection, rounds);
        }
    }

    private static long[] roundTrips(FramedConnection connection, int rounds) throws Exception {
        byte[] request = new byte[SIZE];
        Duration timeout = Duration.ofSeconds(5);
        return measure(rounds, () -> {
            connection.send(request);
            connection.receive(timeout);
        });
    }

    private interface RoundTrip {
        void run() throws Exception;
    }

    private static long[] measure(int rounds, RoundTrip roundTrip) throws Exception {
        for (int i = 0; i < rounds / 2; i++) {
            roundTrip.run(); // warm-up: JIT, buffer pools, the mailbox's spin estimate
        }
        long[] samples = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long start = System.nanoTime();
            roundTrip.run();
            samples[i] = System.nanoTime() - start;
        }
        return samples;
    }

    private static Thread daemon(Runnable body) {
        Thread thread = new Thread(body, "rtt-echo");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
