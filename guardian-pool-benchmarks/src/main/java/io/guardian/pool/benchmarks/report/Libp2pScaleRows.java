package io.guardian.pool.benchmarks.report;

import static io.guardian.pool.benchmarks.report.ResultsTable.SCALE;
import static io.guardian.pool.benchmarks.report.ResultsTable.number;
import static io.guardian.pool.benchmarks.report.ResultsTable.slowdown;
import static io.guardian.pool.benchmarks.report.ResultsTable.times;
import static io.guardian.pool.benchmarks.report.ResultsTable.withError;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;

/**
 * Suite 4's scale rows and targets (issue 17 item 4): {@code ScaleBenchmark} with
 * {@code transport=LIBP2P}, the pool holding one idle Noise + yamux connection per peer. An
 * acquire there opens a stream (0-RTT: nothing is sent until the first message) and the health
 * pass is one yamux Ping per idle connection. Its heap and CPU files carry the suffix
 * {@code -LIBP2P}. Not API.
 */
final class Libp2pScaleRows {

    private static final String SUFFIX = "-LIBP2P";
    private static final int TARGET_PEERS = 10_000;

    private final JmhResults results;
    private final Map<String, JsonNode> heap;
    private final Map<String, JsonNode> healthCpu;

    Libp2pScaleRows(JmhResults results, Map<String, JsonNode> heap, Map<String, JsonNode> healthCpu) {
        this.results = results;
        this.heap = heap;
        this.healthCpu = healthCpu;
    }

    /** @return whether a result is of the scale benchmark on the libp2p transport */
    static boolean isLibp2p(JmhResult r) {
        return r.benchmarkClass().equals(SCALE) && "LIBP2P".equals(r.param("transport"));
    }

    /**
     * @param files heap or CPU files keyed by what follows their prefix
     * @param libp2p {@code true} for the libp2p run's (keys ending in {@value #SUFFIX}, suffix
     *     removed), {@code false} for the rest
     * @return the selected files
     */
    static Map<String, JsonNode> libp2pFiles(Map<String, JsonNode> files, boolean libp2p) {
        Map<String, JsonNode> selected = new TreeMap<>();
        files.forEach((key, value) -> {
            if (key.endsWith(SUFFIX) == libp2p) {
                selected.put(libp2p ? key.substring(0, key.length() - SUFFIX.length()) : key, value);
            }
        });
        return selected;
    }

    List<String[]> rows() {
        List<String[]> rows = new ArrayList<>();
        Optional<JmhResult> onePeer = results.find(r -> r.is(SCALE, "acquireRelease") && peers(r) == 1);
        for (JmhResult r : results.select(x -> x.is(SCALE, "acquireRelease")).stream()
                .sorted(Comparator.comparingInt(Libp2pScaleRows::peers)).toList()) {
            rows.add(new String[] {"4 libp2p scale", "Guardian LIBP2P acquire/release (a stream opened and closed)",
                    peers(r) + (peers(r) == 1 ? " idle peer" : " idle peers") + ", shuffled walk, 1 thread", withError(r),
                    number(r.best()), r.unit(), bytes(r.allocBytesPerOp()),
                    onePeer.map(one -> slowdown(one, r, "1 peer")).orElse("")});
        }
        for (JmhResult r : results.select(x -> x.is(SCALE, "healthCheckPass"))) {
            rows.add(new String[] {"4 libp2p scale", "Guardian LIBP2P checkHealth() pass (yamux Ping each)",
                    r.param("peers") + " idle connections", withError(r), number(r.best()), r.unit(),
                    bytes(r.allocBytesPerOp()), ""});
        }
        for (JsonNode cpu : healthCpu.values()) {
            rows.add(new String[] {"4 libp2p scale", "CPU per LIBP2P checkHealth() pass, pool JVM / listener JVMs",
                    cpu.get("peers").asInt() + " idle connections", number(cpu.get("poolCpuMillisPerPass").asDouble())
                            + " / " + number(cpu.get("listenerCpuMillisPerPass").asDouble()), "", "ms", "", ""});
        }
        for (Map.Entry<String, JsonNode> entry : heap.entrySet()) {
            JsonNode h = entry.getValue();
            String setting = h.get("peers").asInt() + " peers, setup of the " + entry.getKey() + " fork";
            rows.add(new String[] {"4 libp2p scale", "heap per idle LIBP2P connection (pool JVM; Noise + yamux + pool)",
                    setting, number(h.get("poolBytesPerConnection").asDouble()), "", "bytes", "", ""});
            rows.add(new String[] {"4 libp2p scale", "heap per accepted LIBP2P connection (listener JVMs)", setting,
                    number(h.get("listenerBytesPerConnection").asDouble()), "", "bytes", "", ""});
            rows.add(new String[] {"4 libp2p scale", "dial + Noise + yamux rate while filling the pool", setting,
                    number(h.get("dialsPerSecond").asDouble()), "", "dials/s", "", ""});
        }
        return rows;
    }

    String targets() {
        if (results.isEmpty() && heap.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder("\nlibp2p at scale (suite 4, ScaleBenchmark on LIBP2P):\n\n");
        Optional<JsonNode> largestHeap = heap.values().stream()
                .max(Comparator.comparingDouble(h -> h.get("poolBytesPerConnection").asDouble()));
        line(out, "heap per idle libp2p connection <= 8 KiB (Noise and yamux state together; see RESULTS.md)",
                largestHeap.map(h -> {
                    double bytes = h.get("poolBytesPerConnection").asDouble();
                    return verdict(bytes <= 8 * 1024 && h.get("peers").asInt() >= TARGET_PEERS, number(bytes)
                            + " B at " + h.get("peers").asInt() + " peers");
                }));
        Optional<JmhResult> pass = results.select(r -> r.is(SCALE, "healthCheckPass")).stream()
                .max(Comparator.comparingInt(Libp2pScaleRows::peers));
        line(out, "health pass by yamux Ping over " + TARGET_PEERS + " idle connections < 1 s", pass.map(r -> {
            double millis = r.unit().startsWith("ms") ? r.best() : r.unit().startsWith("us") ? r.best() / 1e3 : Double.NaN;
            return verdict(millis < 1000 && peers(r) >= TARGET_PEERS, number(millis) + " ms at " + peers(r) + " connections");
        }));
        Optional<JmhResult> one = results.find(r -> r.is(SCALE, "acquireRelease") && peers(r) == 1);
        Optional<JmhResult> many = results.select(r -> r.is(SCALE, "acquireRelease")).stream()
                .max(Comparator.comparingInt(Libp2pScaleRows::peers)).filter(r -> peers(r) > 1);
        line(out, "acquire (stream open) at " + TARGET_PEERS + " peers within 1.2× the time at 1 peer",
                one.flatMap(o -> many.map(m -> {
                    double ratio = o.best() / m.best();
                    return verdict(ratio <= 1.2 && peers(m) >= TARGET_PEERS, times(ratio) + " at " + peers(m) + " peers");
                })));
        return out.toString();
    }

    private static String[] verdict(boolean met, String detail) {
        return new String[] {met ? "**met**, " : "**missed**, ", detail};
    }

    private static void line(StringBuilder out, String target, Optional<String[]> verdict) {
        out.append("- ").append(target).append(": ");
        out.append(verdict.map(v -> v[0] + v[1]).orElse("**not measured** (suite 4-libp2p-scale did not run)"));
        out.append('\n');
    }

    private static int peers(JmhResult r) {
        String peers = r.param("peers");
        return peers == null ? 0 : Integer.parseInt(peers);
    }

    private static String bytes(double value) {
        return Double.isNaN(value) ? "" : String.format(java.util.Locale.ROOT, "%.0f", value);
    }
}
