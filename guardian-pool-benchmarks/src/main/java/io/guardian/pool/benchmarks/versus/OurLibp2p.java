package io.guardian.pool.benchmarks.versus;

import io.guardian.pool.internal.libp2p.Libp2pConnection;
import io.guardian.pool.internal.libp2p.Libp2pDialer;
import io.guardian.pool.internal.libp2p.Libp2pNode;
import io.guardian.pool.internal.libp2p.Libp2pSettings;
import io.guardian.pool.internal.libp2p.StreamChannel;
import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.net.P2pStream;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import io.guardian.pool.benchmarks.endtoend.RoundTrips;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Our side of the libp2p comparison: a {@code PeerListener} serving the benchmark protocols (the
 * message-by-message echo and the perf sink/source, as the reference peers' {@code bench-listen}),
 * and our dialer's handshake and throughput runs against any listener. Each run has the shape of
 * the reference peers' {@code bench-dial}: n/10 operations of warm-up, then n measured operations
 * over {@code concurrency} workers, wall time and this JVM's CPU time over the measured part.
 * Not API.
 */
final class OurLibp2p implements AutoCloseable {

    /** The echo protocol of the reference peers' bench mode. */
    static final String ECHO = "/guardian/echo/1.0.0";
    /** The libp2p perf protocol (libp2p/specs perf/perf.md). */
    static final String PERF = "/perf/1.0.0";
    /** Bound on what a perf client may ask our listener to send back. */
    private static final long MAX_PERF_DOWNLOAD = 1L << 30;
    private static final int BLOCK = 64 * 1024;
    static final Duration T = Duration.ofSeconds(30);

    private final ExecutorService handlers = Executors.newCachedThreadPool(daemon());
    private final PeerListener listener;

    OurLibp2p() {
        listener = PeerListener.builder(PeerIdentity.generate())
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .handler(ECHO, (from, message) -> message)
                .streamHandler(PERF, OurLibp2p::perf)
                .start();
    }

    /** @return our benchmark listener's address, {@code /p2p/} included */
    Multiaddr address() {
        return listener.listenAddress();
    }

    /**
     * perf, server side: 8-byte big-endian size to send back, the upload until the dialer
     * half-closes, then that many bytes and our half-close.
     */
    private static void perf(P2pStream stream) {
        byte[] head = new byte[8];
        for (int got = 0; got < 8;) {
            int n = stream.read(head, got, 8 - got, T);
            if (n < 0) {
                stream.reset();
                return;
            }
            got += n;
        }
        long down = ByteBuffer.wrap(head).getLong();
        if (down < 0 || down > MAX_PERF_DOWNLOAD) {
            stream.reset();
            return;
        }
        byte[] buffer = new byte[BLOCK];
        while (stream.read(buffer, 0, buffer.length, T) >= 0) {
            // the upload is only counted by the dialer
        }
        byte[] zeros = new byte[BLOCK];
        for (long left = down; left > 0; left -= BLOCK) {
            stream.write(left >= BLOCK ? zeros : new byte[(int) left]);
        }
        stream.closeWrite();
    }

    /** A dialer with its own identity (as each reference worker has its own host). */
    private Libp2pDialer newDialer() {
        EventLoops loops = EventLoops.acquire();
        Libp2pNode node = new Libp2pNode(Libp2pSettings.defaults(PeerIdentity.generate()), handlers, loops.offload());
        return new Libp2pDialer(node, loops);
    }

    /**
     * Handshakes per second: each operation dials, upgrades (multistream, Noise XX, yamux), waits
     * for the remote's identify, closes and waits for the close. One dialer per worker.
     */
    ObjectNode handshakes(PeerId peer, Multiaddr target, int n, int concurrency) throws Exception {
        List<Libp2pDialer> dialers = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            dialers.add(newDialer());
        }
        try {
            Workers.Op op = worker -> {
                Libp2pConnection c = dialers.get(worker).dial(peer, target, T).get(T.toSeconds(), TimeUnit.SECONDS);
                try {
                    c.identify().get(T.toSeconds(), TimeUnit.SECONDS);
                } finally {
                    c.close();
                }
                c.closeFuture().get(T.toSeconds(), TimeUnit.SECONDS);
            };
            Workers.run(Math.max(1, n / 10), concurrency, op);
            long cpu = cpuNanos();
            long jit = JitCpu.nanos();
            double seconds = Workers.run(n, concurrency, op);
            double cpuUs = (cpuNanos() - cpu) / 1e3;
            long jitAfter = JitCpu.nanos();
            double jitUs = jit < 0 || jitAfter < 0 ? Double.NaN : (jitAfter - jit) / 1e3;
            return line("handshake", n, concurrency, 0).put("seconds", seconds).put("handshakesPerSec", n / seconds)
                    .put("cpuUsPerOp", cpuUs / n).put("cpuUsPerOpWithoutJit", (cpuUs - jitUs) / n);
        } finally {
            dialers.forEach(Libp2pDialer::close);
        }
    }

    /**
     * Upload throughput over one connection: {@code n} perf uploads of {@code size} bytes,
     * {@code concurrency} streams at once, each waiting for the listener's end of stream.
     */
    ObjectNode throughput(PeerId peer, Multiaddr target, int n, int concurrency, int size) throws Exception {
        try (Libp2pDialer dialer = newDialer()) {
            Libp2pConnection connection = dialer.dial(peer, target, T).get(T.toSeconds(), TimeUnit.SECONDS);
            byte[] payload = new byte[size];
            new Random(17).nextBytes(payload);
            byte[] head = new byte[8];
            Workers.Op op = worker -> {
                try (StreamChannel stream = connection.openStream(PERF)) {
                    stream.write(head);
                    stream.write(payload);
                    stream.closeWrite();
                    if (stream.read(new byte[1], 0, 1, T.multipliedBy(10)) >= 0) {
                        throw new IllegalStateException("perf listener sent bytes though asked for none");
                    }
                }
            };
            Workers.run(concurrency, concurrency, op);
            long cpu = cpuNanos();
            double seconds = Workers.run(n, concurrency, op);
            double cpuUs = (cpuNanos() - cpu) / 1e3;
            double bytes = (double) n * size;
            return line("throughput", n, concurrency, size).put("seconds", seconds)
                    .put("mbPerSec", bytes / seconds / 1e6).put("cpuUsPerMiB", cpuUs / (bytes / (1 << 20)));
        }
    }

    /**
     * The lease's round trip without the pool, to tell where its time goes: our dialer's own
     * connection to an echo peer, and either a new stream per request (open, 0-RTT select with the
     * message, read the echo, close: what a lease does under the pool's bookkeeping) or one stream
     * kept open with message after message on it (no stream set-up at all).
     *
     * @param streamPerRequest {@code true} for a new stream per request
     */
    RoundTrips.Subject rawStreams(PeerId peer, Multiaddr target, boolean streamPerRequest) throws Exception {
        Libp2pDialer dialer = newDialer();
        try {
            Libp2pConnection connection = dialer.dial(peer, target, T).get(T.toSeconds(), TimeUnit.SECONDS);
            byte[] request = new byte[RoundTrips.SIZE];
            new Random(5).nextBytes(request);
            StreamChannel held = streamPerRequest ? null : connection.openStream(ECHO);
            RoundTrips.Subject subject = new RoundTrips.Subject() {
                @Override
                public void roundTrip() {
                    StreamChannel stream = held != null ? held : connection.openStream(ECHO);
                    try {
                        stream.writeMessage(request);
                        if (!Arrays.equals(request, stream.readMessage(RoundTrips.SIZE, T))) {
                            throw new IllegalStateException("the echo differs from the request");
                        }
                    } finally {
                        if (held == null) {
                            stream.close();
                        }
                    }
                }

                @Override
                public void close() {
                    if (held != null) {
                        held.close();
                    }
                    dialer.close();
                }
            };
            subject.roundTrip();
            return subject;
        } catch (Exception | Error e) {
            dialer.close();
            throw e;
        }
    }

    /** A result line shaped as the reference peers' {@code bench-dial} output. */
    static ObjectNode line(String what, int n, int concurrency, int size) {
        return JsonMapper.builder().build().createObjectNode().put("impl", "guardian").put("what", what).put("ok", true)
                .put("n", n).put("concurrency", concurrency).put("size", size);
    }

    /** @return this JVM's CPU time (all threads, user + system) */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static java.util.concurrent.ThreadFactory daemon() {
        return r -> {
            Thread t = new Thread(r, "bench-libp2p-handler");
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() {
        listener.close();
        handlers.shutdownNow();
    }
}
