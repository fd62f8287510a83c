package io.guardian.pool.benchmarks.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns one run's JMH JSON files (and the heap probe's) into the results table with ratios and
 * the target checklist, as Markdown. run.sh prints the file it writes; RESULTS.md quotes it.
 *
 * <p>Ratios are only ever taken between results of the same run: figures on this shared machine
 * drift by 1.5x between runs, ratios much less.
 */
public final class ResultsTable {

    /** Benchmark class names the table knows; keep in step with the benchmark classes. */
    static final String GUARDIAN_ACQUIRE = "GuardianAcquireBenchmark";
    static final String COMPARISON = "ComparisonPoolsBenchmark";
    static final String GUARDIAN_REQUEST = "GuardianRequestBenchmark";
    static final String FLOOR = "SocketFloorBenchmark";
    static final String SCALE = "ScaleBenchmark";
    static final String WALK_FLOOR = "KeyedWalkFloorBenchmark";

    /** Subjects of the scale suite's socket-free walk in table order ({@code subject} parameter). */
    static final List<String> WALK_FLOOR_SUBJECTS = List.of("chm-floor", "chm-floor-cas", "chm-chain",
            "chm-spread", "chm-spread-locked", "httpcore5-lax", "httpcore5-segmented", "httpcore5-strict", "commons-pool2-no-reuse-capacity");

    /** Subjects of suite 1 in table order; "guardian" is our pool, the rest the {@code pool} parameter. */
    static final List<String> SUITE1_SUBJECTS = List.of("guardian", "commons-pool2",
            "commons-pool2-no-reuse-capacity", "httpcore5-strict", "httpcore5-lax", "httpcore5-segmented");

    private final JmhResults results;
    private final Map<String, JsonNode> heap;
    private final Map<String, JsonNode> healthCpu;
    private final VersusTable versus;
    private final Libp2pScaleRows libp2pScale;
    private final CpuHogRows cpuHogs;
    private final List<String[]> rows = new ArrayList<>();

    private ResultsTable(JmhResults results, Map<String, JsonNode> heap, Map<String, JsonNode> healthCpu,
            VersusTable versus, Libp2pScaleRows libp2pScale, CpuHogRows cpuHogs) {
        this.results = results;
        this.heap = heap;
        this.healthCpu = healthCpu;
        this.versus = versus;
        this.libp2pScale = libp2pScale;
        this.cpuHogs = cpuHogs;
    }

    /**
     * Writes the table.
     *
     * @param args the directory holding the JMH JSON files, the scale suite's
     *     {@code heap-<method>.json} files, suite 4's {@code versus.json} and the CPU-hog run's
     *     {@code cpu-hogs/} directory ({@link CpuHogRows}), then the Markdown file
     *     to write
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: ResultsTable <results-dir> <output.md>; got "
                    + args.length + " arguments");
        }
        Path dir = Path.of(args[0]);
        JsonMapper mapper = JsonMapper.builder().build();
        JmhResults results = JmhResults.readDirectory(dir, mapper);
        Path versusFile = dir.resolve("versus.json");
        JsonNode versus = Files.exists(versusFile) ? mapper.readTree(versusFile.toFile()) : null;
        CpuHogRows cpuHogs = CpuHogRows.read(dir, mapper);
        if (results.isEmpty() && versus == null && cpuHogs.rows().isEmpty()) {
            throw new IllegalStateException("no JMH JSON results in " + dir.toAbsolutePath()
                    + "; run the suites first (guardian-pool-benchmarks/run.sh)");
        }
        Map<String, JsonNode> heap = readAll(dir, "heap-", mapper);
        Map<String, JsonNode> healthCpu = readAll(dir, "health-cpu-", mapper);
        // Suite 4's scale run (ScaleBenchmark on LIBP2P) has its own rows and targets; suite 3's
        // rows and targets stay those of the guardian-db transport, as in the runs of record.
        Libp2pScaleRows libp2pScale = new Libp2pScaleRows(results.only(Libp2pScaleRows::isLibp2p),
                Libp2pScaleRows.libp2pFiles(heap, true), Libp2pScaleRows.libp2pFiles(healthCpu, true));
        ResultsTable table = new ResultsTable(results.only(r -> !Libp2pScaleRows.isLibp2p(r)),
                Libp2pScaleRows.libp2pFiles(heap, false), Libp2pScaleRows.libp2pFiles(healthCpu, false),
                new VersusTable(versus), libp2pScale, cpuHogs);
        Files.writeString(Path.of(args[1]), table.render(), StandardCharsets.UTF_8);
    }

    /** Reads {@code <prefix>*.json}, keyed by what follows the prefix. */
    private static Map<String, JsonNode> readAll(Path dir, String prefix, JsonMapper mapper) throws IOException {
        Map<String, JsonNode> read = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, prefix + "*.json")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                read.put(name.substring(prefix.length(), name.length() - ".json".length()), mapper.readTree(file.toFile()));
            }
        }
        return read;
    }

    String render() {
        addAcquireRows();
        addEndToEndRows();
        rows.addAll(cpuHogs.rows());
        addScaleRows();
        rows.addAll(versus.rows());
        rows.addAll(libp2pScale.rows());
        StringBuilder out = new StringBuilder();
        out.append("| suite | subject | setting | mean ± 99.9% error | best iteration | unit | B/op | ratio (best iterations) |\n");
        // Suite 2's ratios compare each subject's best latency over its avgt and thrpt runs.
        // B/op is the median over measured iterations of -prof gc's gc.alloc.rate.norm (JmhResults).
        out.append("|---|---|---|---:|---:|---|---:|---|\n");
        for (String[] row : rows) {
            out.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        out.append('\n').append(new TargetCheck(results, heap, healthCpu).render());
        out.append(cpuHogs.targets());
        out.append(versus.targets());
        out.append(libp2pScale.targets());
        return out.toString();
    }

    private void addAcquireRows() {
        for (int keys : new int[] {1, 1000}) {
            for (String subject : SUITE1_SUBJECTS) {
                for (int threads : new int[] {1, 2, 8}) {
                    Optional<JmhResult> result = acquire(results, subject, keys, threads);
                    if (result.isEmpty()) {
                        continue;
                    }
                    JmhResult r = result.get();
                    String ratio = acquire(results, "commons-pool2", keys, threads)
                            .map(base -> times(r.best() / base.best()) + " commons-pool2").orElse("");
                    rows.add(new String[] {"1 acquire/release", label(subject),
                            keys + (keys == 1 ? " key, " : " keys, ") + threads + (threads == 1 ? " thread" : " threads"),
                            withError(r), number(r.best()), r.unit(), bytes(r.allocBytesPerOp()), ratio});
                }
            }
        }
    }

    private void addEndToEndRows() {
        double floor = results.bestLatencyMicros(FLOOR, "bareSocketRoundTrip");
        double fresh = results.bestLatencyMicros(GUARDIAN_REQUEST, "newConnectionPerRequest");
        String[][] subjects = {
            {GUARDIAN_REQUEST, "pooledRequest", "Guardian, pooled connection"},
            {GUARDIAN_REQUEST, "pooledRequestInlineHandler", "Guardian, pooled, listener handler inline"},
            {GUARDIAN_REQUEST, "newConnectionPerRequest", "Guardian, new connection per request"},
            {FLOOR, "bareSocketRoundTrip", "bare JDK socket (floor)"},
            {FLOOR, "bareConnectPerRequest", "bare JDK socket, connect per request"},
        };
        for (String[] subject : subjects) {
            for (JmhResult r : results.select(x -> x.is(subject[0], subject[1]))) {
                // Both modes of a subject share one figure: its best latency over both (JmhResults).
                double latency = results.bestLatencyMicros(subject[0], subject[1]);
                String ratio = "";
                if (r.mode().equals("avgt") && !Double.isNaN(floor)) {
                    ratio = times(latency / floor) + " floor latency";
                } else if (r.mode().equals("thrpt") && !Double.isNaN(fresh)) {
                    ratio = times(fresh / latency) + " new-connection throughput";
                }
                boolean perSecond = r.mode().equals("thrpt") && r.unit().equals("ops/us");
                String score = perSecond ? number(r.score() * 1e6) + error(r.error() * 1e6) : withError(r);
                String best = perSecond ? number(r.best() * 1e6) : number(r.best());
                rows.add(new String[] {"2 end to end, 64 B", subject[2], "1 thread, " + r.mode(), score, best,
                        perSecond ? "ops/s" : r.unit(), bytes(r.allocBytesPerOp()), ratio});
            }
        }
    }

    private void addScaleRows() {
        guardianScaleRows("acquireRelease", "Guardian acquire/release, shuffled walk over all peers", " idle peers");
        guardianScaleRows("acquireReleaseHotPeer", "Guardian acquire/release, always the same peer",
                " idle peers, the same one each time");
        for (String subject : WALK_FLOOR_SUBJECTS) {
            Optional<JmhResult> oneKey = walkFloor(results, subject, 1);
            for (JmhResult r : results.select(x -> x.is(WALK_FLOOR, "acquireRelease") && subject.equals(x.param("subject")))
                    .stream().sorted(Comparator.comparingInt(x -> intParam(x, "keys"))).toList()) {
                int keys = intParam(r, "keys");
                String ratio = oneKey.map(one -> slowdown(one, r, "1 key")).orElse("");
                rows.add(new String[] {"3 scale, no sockets", walkLabel(subject),
                        keys + (keys == 1 ? " key" : " keys") + ", shuffled walk, 1 thread", withError(r),
                        number(r.best()), r.unit(), bytes(r.allocBytesPerOp()), ratio});
            }
        }
        for (JmhResult r : results.select(x -> x.is(SCALE, "healthCheckPass"))) {
            rows.add(new String[] {"3 scale", "Guardian checkHealth() pass", r.param("peers") + " idle connections",
                    withError(r), number(r.best()), r.unit(), bytes(r.allocBytesPerOp()), ""});
        }
        for (JsonNode cpu : healthCpu.values()) {
            String setting = cpu.get("peers").asInt() + " idle connections, " + cpu.get("passes").asInt()
                    + " passes of the last iteration";
            rows.add(new String[] {"3 scale", "CPU per checkHealth() pass, pool JVM", setting,
                    number(cpu.get("poolCpuMillisPerPass").asDouble()), "", "ms", "", ""});
            rows.add(new String[] {"3 scale", "CPU per checkHealth() pass, listener JVMs", setting,
                    number(cpu.get("listenerCpuMillisPerPass").asDouble()), "", "ms", "", ""});
        }
        for (Map.Entry<String, JsonNode> entry : heap.entrySet()) {
            JsonNode h = entry.getValue();
            String setting = h.get("peers").asInt() + " peers, " + h.get("listenerJvms").asInt()
                    + " listener JVMs, setup of the " + entry.getKey() + " fork";
            rows.add(new String[] {"3 scale", "heap per idle pooled connection (pool JVM)", setting,
                    number(h.get("poolBytesPerConnection").asDouble()), "", "bytes", "", ""});
            rows.add(new String[] {"3 scale", "heap per accepted connection (listener JVMs)", setting,
                    number(h.get("listenerBytesPerConnection").asDouble()), "", "bytes", "", ""});
            rows.add(new String[] {"3 scale", "heap per started PeerListener (listener JVMs)", setting,
                    number(h.get("listenerBytesPerListener").asDouble()), "", "bytes", "", ""});
            rows.add(new String[] {"3 scale", "dial + 1.1 handshake rate while filling the pool", setting,
                    number(h.get("dialsPerSecond").asDouble()), "", "dials/s", "", ""});
        }
    }

    /** One of Guardian's scale acquire methods at every peer count, each against its own 1-peer row. */
    private void guardianScaleRows(String method, String subject, String peersText) {
        Optional<JmhResult> onePeer = results.find(r -> r.is(SCALE, method) && "1".equals(r.param("peers")));
        for (JmhResult r : results.select(x -> x.is(SCALE, method)).stream()
                .sorted(Comparator.comparingInt(x -> intParam(x, "peers"))).toList()) {
            String ratio = onePeer.map(one -> slowdown(one, r, "1 peer")).orElse("");
            String setting = intParam(r, "peers") == 1 ? "1 idle peer, 1 thread" : r.param("peers") + peersText
                    + ", 1 thread";
            rows.add(new String[] {"3 scale", subject, setting, withError(r), number(r.best()), r.unit(),
                    bytes(r.allocBytesPerOp()), ratio});
        }
    }

    /**
     * "N× time of 1 key (+d ns/op)": how much longer one operation takes in {@code many} than in
     * {@code one} (both throughput results, best iterations), as a ratio and as added time.
     */
    static String slowdown(JmhResult one, JmhResult many, String baseline) {
        String text = times(one.best() / many.best()) + " time of " + baseline;
        double added = nanosPerOp(many) - nanosPerOp(one);
        return one == many || Double.isNaN(added) ? text
                : text + " (" + (added >= 0 ? "+" : "") + number(added) + " ns/op)";
    }

    /** A throughput result's best iteration as nanoseconds per operation, or NaN for other units. */
    static double nanosPerOp(JmhResult r) {
        return switch (r.unit()) {
            case "ops/ns" -> 1 / r.best();
            case "ops/us" -> 1e3 / r.best();
            case "ops/ms" -> 1e6 / r.best();
            case "ops/s" -> 1e9 / r.best();
            default -> Double.NaN;
        };
    }

    /** The socket-free walk's result for one subject at one key count. */
    static Optional<JmhResult> walkFloor(JmhResults results, String subject, int keys) {
        String keyText = Integer.toString(keys);
        return results.find(r -> r.is(WALK_FLOOR, "acquireRelease") && subject.equals(r.param("subject"))
                && keyText.equals(r.param("keys")));
    }

    static String walkLabel(String subject) {
        return switch (subject) {
            case "chm-floor" -> "floor: ConcurrentHashMap<PeerId, ·>.get + read/write of a per-peer field";
            case "chm-floor-cas" -> "floor: ConcurrentHashMap<PeerId, ·>.get + read/compare-and-set of a per-peer field";
            case "chm-chain" -> "floor: that get + the pool's chain slot → idle[] → conn → transport → mailbox, compact";
            case "chm-spread" -> "floor: the same chain among ballast of a pooled connection's size (~3.5 KB/peer)";
            case "chm-spread-locked" -> "floor: that spread chain under the slot's monitor, a new lease stored per step (as the pool)";
            default -> label(subject) + ", fake connections";
        };
    }

    private static int intParam(JmhResult r, String name) {
        String value = r.param(name);
        return value == null ? 0 : Integer.parseInt(value);
    }

    /** Suite 1's result for one subject, key count and thread count. */
    static Optional<JmhResult> acquire(JmhResults results, String subject, int keys, int threads) {
        String keyText = Integer.toString(keys);
        if (subject.equals("guardian")) {
            return results.find(r -> r.benchmarkClass().equals(GUARDIAN_ACQUIRE) && r.threads() == threads
                    && keyText.equals(r.param("keys")));
        }
        return results.find(r -> r.benchmarkClass().equals(COMPARISON) && r.threads() == threads
                && keyText.equals(r.param("keys")) && subject.equals(r.param("pool")));
    }

    static String label(String subject) {
        return switch (subject) {
            case "guardian" -> "**Guardian Pool** (real loopback connections)";
            case "commons-pool2" -> "commons-pool2 GKOP (reuseCapacityOnReturn=true, default)";
            case "commons-pool2-no-reuse-capacity" -> "commons-pool2 GKOP (reuseCapacityOnReturn=false)";
            case "httpcore5-strict" -> "httpcore5 StrictConnPool";
            case "httpcore5-lax" -> "httpcore5 LaxConnPool (no global max)";
            case "httpcore5-segmented" -> "httpcore5 RouteSegmentedConnPool";
            default -> subject;
        };
    }

    static String withError(JmhResult r) {
        return number(r.score()) + error(r.error());
    }

    private static String error(double error) {
        return Double.isNaN(error) ? "" : " ± " + number(error);
    }

    static String number(double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        double magnitude = Math.abs(value);
        String pattern = magnitude >= 100 ? "%.0f" : magnitude >= 10 ? "%.1f" : magnitude >= 1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, pattern, value);
    }

    static String times(double ratio) {
        return String.format(Locale.ROOT, ratio >= 10 ? "%.1f×" : "%.2f×", ratio);
    }

    private static String bytes(double value) {
        return Double.isNaN(value) ? "" : String.format(Locale.ROOT, "%.0f", value);
    }
}
