package io.guardian.pool.benchmarks.endtoend;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Suite 2, the physical floor: a 64-byte round trip over a bare JDK blocking socket on loopback,
 * with no pool, framing, handshake or event loop. Whatever Guardian Pool adds on top shows as the
 * gap to this. {@link #bareConnectPerRequest} adds TCP connect and close, the part of a new
 * connection that no pool implementation can avoid paying.
 */
@BenchmarkMode({Mode.AverageTime, Mode.Throughput})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(1)
public class SocketFloorBenchmark {

    /** Size of every request and reply in suite 2. */
    public static final int MESSAGE_SIZE = 64;

    /** A server and one client connection kept open across operations. */
    @State(Scope.Thread)
    public static class Persistent {

        BareEchoServer server;
        Socket socket;
        InputStream in;
        OutputStream out;
        final byte[] request = EndToEnd.message(MESSAGE_SIZE);
        final byte[] reply = new byte[MESSAGE_SIZE];

        /**
         * Starts the echo server and connects once.
         *
         * @throws IOException if loopback cannot be bound or connected
         */
        @Setup(Level.Trial)
        public void setUp() throws IOException {
            server = new BareEchoServer(MESSAGE_SIZE);
            socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
            socket.setTcpNoDelay(true);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        /**
         * Closes the connection and the server.
         *
         * @throws IOException if closing the socket fails
         */
        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            socket.close();
            server.close();
        }
    }

    /** A server that each operation connects to anew. */
    @State(Scope.Thread)
    public static class Fresh {

        BareEchoServer server;
        final byte[] request = EndToEnd.message(MESSAGE_SIZE);
        final byte[] reply = new byte[MESSAGE_SIZE];

        /**
         * Starts the echo server.
         *
         * @throws IOException if loopback cannot be bound
         */
        @Setup(Level.Trial)
        public void setUp() throws IOException {
            server = new BareEchoServer(MESSAGE_SIZE);
        }

        /** Stops the server. */
        @TearDown(Level.Trial)
        public void tearDown() {
            server.close();
        }
    }

    /**
     * The floor: write 64 bytes, read the 64-byte echo.
     *
     * @param state the open connection
     * @return the reply buffer
     * @throws IOException if the echo breaks
     */
    @Benchmark
    public byte[] bareSocketRoundTrip(Persistent state) throws IOException {
        state.out.write(state.request);
        EndToEnd.readFully(state.in, state.reply);
        return state.reply;
    }

    /**
     * Connect, one 64-byte round trip, close: a new plain TCP connection per request.
     *
     * @param state the server
     * @return the reply buffer
     * @throws IOException if connecting or the echo fails
     */
    @Benchmark
    public byte[] bareConnectPerRequest(Fresh state) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), state.server.port())) {
            socket.setTcpNoDelay(true);
            socket.getOutputStream().write(state.request);
            EndToEnd.readFully(socket.getInputStream(), state.reply);
        }
        return state.reply;
    }
}
