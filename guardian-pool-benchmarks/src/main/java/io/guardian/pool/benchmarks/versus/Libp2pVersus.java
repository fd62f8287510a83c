package io.guardian.pool.benchmarks.versus;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.Transport;
import io.guardian.pool.benchmarks.endtoend.RoundTrips;
import io.guardian.pool.peer.PeerIdentity;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Suite 4 (issue 17): our libp2p path side by side with go-, rust- and js-libp2p on this machine,
 * every comparison in ONE invocation so only ratios are quoted. A plain timed driver, not JMH:
 * the reference implementations time themselves in their own processes ({@code bench-dial}), and
 * a JMH benchmark around a process would time the process, not the stack; so our side is timed
 * the same way as theirs (n/10 operations of warm-up, n measured, wall and CPU time), after a
 * warm-up of our JIT.
 *
 * <pre>
 * java -cp benchmarks.jar io.guardian.pool.benchmarks.versus.Libp2pVersus &lt;results-dir&gt; &lt;interop-dir&gt; [quick|full]
 * </pre>
 *
 * <p>An {@code interop-dir} of {@code none} runs our rows only (crypto floor, our handshakes,
 * request/reply and throughput; the reference peers are recorded as missing): the before/after
 * runs of an optimisation need only those, in about 40 s. Each phase's log line carries the
 * time, so a profile taken over the run (JFR) can be cut into phases.
 *
 * <p>Writes {@code versus.json}: {@code crypto} ({@link CryptoCosts}), and lists {@code handshake},
 * {@code rr} and {@code throughput} of result lines ({@code dialer}, {@code listener}, the
 * reference peers' bench-dial fields), and {@code missing}: every reference peer or run that
 * could not be measured, with why. A missing peer (toolchain absent, build failed) does not stop
 * the rest. Not API.
 */
public final class Libp2pVersus {

    private static final List<String> LANGS = List.of("go", "rust", "js");
    private static final Duration DIAL_DEADLINE = Duration.ofMinutes(3);
    static final int ONE_STREAM_BYTES = 4 * 1024 * 1024;
    static final int MANY_STREAMS = 64;
    static final int MANY_STREAM_BYTES = 1024 * 1024;

    private final int scale;
    private final ObjectNode out;
    private final ArrayNode missing;
    private final Map<String, ReferencePeer> peers = new LinkedHashMap<>();
    private OurLibp2p ours;

    private Libp2pVersus(int scale) {
        this.scale = scale;
        this.out = JsonMapper.builder().build().createObjectNode();
        this.missing = out.putArray("missing");
        out.put("scale", scale);
    }

    /**
     * Runs the suite.
     *
     * @param args results directory, {@code interop} directory, then {@code quick} (default) or {@code full}
     * @throws Exception if our own side fails (a reference peer's failure is recorded instead)
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 3) {
            throw new IllegalArgumentException("usage: Libp2pVersus <results-dir> <interop-dir> [quick|full]");
        }
        String profile = args.length == 3 ? args[2] : "quick";
        int scale = switch (profile) {
            case "quick" -> 1;
            case "full" -> 3;
            default -> throw new IllegalArgumentException("profile must be quick or full, got " + profile);
        };
        Libp2pVersus suite = new Libp2pVersus(scale);
        suite.out.put("profile", profile);
        try {
            suite.run(Path.of(args[1]));
        } finally {
            suite.close();
        }
        Path file = Path.of(args[0]).resolve("versus.json");
        Files.writeString(file, suite.out.toPrettyString());
        System.out.println("libp2p side by side: " + file);
        System.exit(0); // reference listeners' reader threads and pool threads must not keep us
    }

    private void run(Path interop) throws Exception {
        log("crypto floor");
        out.set("crypto", CryptoCosts.measure(scale * 1_000_000_000L, scale * 2_000_000_000L));
        ours = new OurLibp2p();
        for (String lang : LANGS) {
            if (interop.toString().equals("none")) {
                missing.addObject().put("what", lang + " peer").put("error", "not asked for (interop dir 'none')");
                continue;
            }
            try {
                peers.put(lang, ReferencePeer.start(interop, lang));
            } catch (IOException e) {
                missing.addObject().put("what", lang + " peer").put("error", String.valueOf(e.getMessage()));
            }
        }
        warmUp();
        handshakes(out.putArray("handshake"));
        roundTrips(out.putArray("rr"));
        throughput(out.putArray("throughput"));
    }

    /**
     * Our JIT sees every path once before anything is recorded. A failure here is recorded like
     * a measurement's (the measured runs then show whether it repeats) rather than ending the suite.
     */
    private void warmUp() {
        log("warming our side");
        PeerId self = peerOf(ours.address());
        ArrayNode discard = JsonMapper.builder().build().createArrayNode();
        measureOurs(discard, "warm-up handshake", "guardian", 2, () -> ours.handshakes(self, ours.address(), 400 * scale, 2));
        measureOurs(discard, "warm-up throughput", "guardian", 1, () -> ours.throughput(self, ours.address(), 8, 1,
                ONE_STREAM_BYTES));
        measureOurs(discard, "warm-up throughput", "guardian", MANY_STREAMS, () -> ours.throughput(self, ours.address(),
                MANY_STREAMS, MANY_STREAMS, MANY_STREAM_BYTES));
    }

    private void handshakes(ArrayNode into) {
        for (int concurrency : new int[] {1, 8}) {
            measureOurs(into, "handshake", "guardian", concurrency, () -> {
                int n = handshakeCount("guardian", "guardian");
                return ours.handshakes(peerOf(ours.address()), ours.address(), n, concurrency);
            });
            for (ReferencePeer peer : peers.values()) {
                measureOurs(into, "handshake", peer.lang(), concurrency, () -> ours.handshakes(peerOf(peer.address()),
                        peer.address(), handshakeCount("guardian", peer.lang()), concurrency));
                measureTheirs(into, peer, "--what", "handshake", "--n", String.valueOf(handshakeCount(peer.lang(), peer.lang())),
                        "--concurrency", String.valueOf(concurrency));
            }
        }
    }

    /** js-libp2p completes about 10 to 70 handshakes a second here, the others a few hundred. */
    private int handshakeCount(String dialer, String listener) {
        if (dialer.equals("js")) {
            return 40 * scale;
        }
        return (listener.equals("js") ? 100 : 300) * scale;
    }

    private void roundTrips(ArrayNode into) throws Exception {
        int n = 2000 * scale;
        log("request/reply: guardian's six subjects, interleaved");
        // Interleaved rounds: the in-JVM subjects see the same neighbours' load, and each
        // reports its best round (as the JMH table reports best iterations).
        try (RoundTrips.Subject lease = RoundTrips.libp2pLease(peerOf(ours.address()), ours.address(), OurLibp2p.ECHO);
             RoundTrips.Subject reused = reusedStreamLease(peerOf(ours.address()), ours.address(), OurLibp2p.ECHO);
             RoundTrips.Subject perRequest = ours.rawStreams(peerOf(ours.address()), ours.address(), true);
             RoundTrips.Subject oneStream = ours.rawStreams(peerOf(ours.address()), ours.address(), false);
             RoundTrips.Subject db = RoundTrips.guardianDbPooled();
             RoundTrips.Subject bare = RoundTrips.bareSocket()) {
            Map<String, RoundTrips.Subject> subjects = new LinkedHashMap<>();
            subjects.put("guardian-libp2p-lease", lease);
            subjects.put(REUSED_LEASE, reused);
            subjects.put("guardian-libp2p-stream-per-request", perRequest);
            subjects.put("guardian-libp2p-one-stream", oneStream);
            subjects.put("guardian-db-pooled", db);
            subjects.put("bare-socket", bare);
            Map<String, double[]> best = new LinkedHashMap<>();
            for (int round = 0; round < 3; round++) {
                for (Map.Entry<String, RoundTrips.Subject> s : subjects.entrySet()) {
                    long warm = round == 0 ? 1_000_000_000L * scale : 200_000_000L;
                    double[] micros = RoundTrips.time(s.getValue(), warm, n);
                    double[] before = best.get(s.getKey());
                    if (before == null || median(micros) < median(before)) {
                        best.put(s.getKey(), micros);
                    }
                }
            }
            for (Map.Entry<String, double[]> b : best.entrySet()) {
                String listener = b.getKey().startsWith("guardian-libp2p") ? "guardian" : b.getKey();
                into.add(rrLine(b.getKey(), listener, b.getValue()));
            }
        }
        for (ReferencePeer peer : peers.values()) {
            int count = peer.lang().equals("js") ? 500 * scale : n;
            measureOurs(into, "rr", peer.lang(), 1, () -> {
                try (RoundTrips.Subject lease = RoundTrips.libp2pLease(peerOf(peer.address()), peer.address(), OurLibp2p.ECHO)) {
                    return rrLine("guardian-libp2p-lease", peer.lang(), RoundTrips.time(lease, 500_000_000L, count));
                }
            });
            // Their bench-listen echo serves message after message on one stream (interop/README.md),
            // which is what a reused stream needs: this row is the interop check of the setting too.
            measureOurs(into, "rr", peer.lang(), 1, () -> {
                try (RoundTrips.Subject reused = reusedStreamLease(peerOf(peer.address()), peer.address(), OurLibp2p.ECHO)) {
                    return rrLine(REUSED_LEASE, peer.lang(), RoundTrips.time(reused, 500_000_000L, count));
                }
            });
            measureTheirs(into, peer, "--what", "rr", "--n", String.valueOf(count), "--size", String.valueOf(RoundTrips.SIZE));
        }
    }

    /** The subject of a pool lease whose stream is reused across leases ({@code reusable-stream-protocols}). */
    static final String REUSED_LEASE = "guardian-libp2p-lease-reused-stream";

    /**
     * The pool lease subject of {@link RoundTrips#libp2pLease} with one setting more:
     * {@code reusable-stream-protocols} names the echo protocol, so after the first lease every
     * lease takes the stream the previous one left open (no SYN, no select, no FIN).
     */
    private static RoundTrips.Subject reusedStreamLease(PeerId peer, Multiaddr address, String protocol)
            throws Exception {
        PoolConfig config = PoolConfig.builder()
                .transport(Transport.LIBP2P)
                .maxConnectionsPerPeer(1)
                .maxTotalConnections(4)
                .idleTimeout(Duration.ofHours(2))
                .healthCheckInterval(Duration.ofHours(2))
                .reusableStreamProtocols(List.of(protocol))
                .build();
        OptimizedConnectionPool pool = new OptimizedConnectionPool(config, PeerIdentity.generate());
        byte[] request = new byte[RoundTrips.SIZE];
        for (int i = 0; i < request.length; i++) {
            request[i] = (byte) ('a' + i % 26);
        }
        RoundTrips.Subject subject = new RoundTrips.Subject() {
            @Override
            public void roundTrip() {
                try (PeerConnection lease = pool.acquire(peer, address, protocol)) {
                    byte[] reply = lease.request(request, Duration.ofSeconds(10));
                    if (!Arrays.equals(request, reply)) {
                        throw new IllegalStateException("reply of " + reply.length + " bytes is not the echo of the "
                                + request.length + "-byte request; the peer under test is broken");
                    }
                }
            }

            @Override
            public void close() {
                pool.close();
            }
        };
        try {
            subject.roundTrip();
        } catch (Exception | Error e) {
            subject.close();
            throw e;
        }
        return subject;
    }

    private static ObjectNode rrLine(String dialer, String listener, double[] sortedMicros) {
        double sum = 0;
        for (double m : sortedMicros) {
            sum += m;
        }
        ObjectNode line = OurLibp2p.line("rr", sortedMicros.length, 1, RoundTrips.SIZE);
        line.put("impl", dialer).put("dialer", dialer).put("listener", listener);
        return line.put("p50Us", median(sortedMicros)).put("meanUs", sum / sortedMicros.length)
                .put("p99Us", sortedMicros[sortedMicros.length * 99 / 100]);
    }

    private static double median(double[] sorted) {
        return sorted[sorted.length / 2];
    }

    private void throughput(ArrayNode into) {
        for (boolean many : new boolean[] {false, true}) {
            int streams = many ? MANY_STREAMS : 1;
            int size = many ? MANY_STREAM_BYTES : ONE_STREAM_BYTES;
            measureOurs(into, "throughput", "guardian", streams, () -> ours.throughput(peerOf(ours.address()),
                    ours.address(), transfers("guardian", "guardian", many), streams, size));
            for (ReferencePeer peer : peers.values()) {
                measureOurs(into, "throughput", peer.lang(), streams, () -> ours.throughput(peerOf(peer.address()),
                        peer.address(), transfers("guardian", peer.lang(), many), streams, size));
                measureTheirs(into, peer, "--what", "throughput", "--n", String.valueOf(transfers(peer.lang(), peer.lang(), many)),
                        "--concurrency", String.valueOf(streams), "--size", String.valueOf(size));
            }
        }
    }

    /** 64 MiB (one stream) or 128 MiB (64 streams) per run; js moves about 25 MB/s here, so half. */
    private int transfers(String dialer, String listener, boolean many) {
        int base = many ? 128 : 16;
        return (dialer.equals("js") || listener.equals("js") ? base / 2 : base) * scale;
    }

    /** A measurement of ours; a failure is recorded as a missing row, not thrown. */
    @FunctionalInterface
    private interface Measurement {
        ObjectNode run() throws Exception;
    }

    private void measureOurs(ArrayNode into, String what, String listener, int concurrency, Measurement m) {
        log(what + ": guardian -> " + listener + ", " + concurrency + " at a time");
        try {
            ObjectNode line = m.run();
            if (!line.has("dialer")) {
                line.put("dialer", "guardian").put("listener", listener);
            }
            into.add(line);
        } catch (Exception e) {
            missing.addObject().put("what", what + " guardian -> " + listener + " x" + concurrency)
                    .put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private void measureTheirs(ArrayNode into, ReferencePeer peer, String... args) {
        log(String.join(" ", args) + ": " + peer.lang() + " -> " + peer.lang());
        try {
            JsonNode line = peer.dial(peer.address(), DIAL_DEADLINE, args);
            if (!line.path("ok").asBoolean(false)) {
                missing.addObject().put("what", peer.lang() + " " + String.join(" ", args))
                        .put("error", line.path("error").asString(""));
                return;
            }
            ObjectNode copy = ((ObjectNode) line).deepCopy();
            into.add(copy.put("dialer", peer.lang()).put("listener", peer.lang()));
        } catch (IOException e) {
            missing.addObject().put("what", peer.lang() + " " + String.join(" ", args)).put("error", e.getMessage());
        }
    }

    private static PeerId peerOf(Multiaddr address) {
        return address.peerId().orElseThrow(() -> new IllegalArgumentException(address + " has no /p2p/ part"));
    }

    private static void log(String what) {
        System.out.println("[libp2p side by side] " + Instant.now() + " " + what);
    }

    private void close() {
        peers.values().forEach(ReferencePeer::close);
        if (ours != null) {
            ours.close();
        }
    }
}
