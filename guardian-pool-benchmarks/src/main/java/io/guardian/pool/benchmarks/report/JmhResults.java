package io.guardian.pool.benchmarks.report;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every JMH result found in a directory of JMH JSON files ({@code -rf json}). Not API.
 */
final class JmhResults {

    private final List<JmhResult> results;

    private JmhResults(List<JmhResult> results) {
        this.results = results;
    }

    /**
     * Reads every {@code *.json} file in {@code dir} that holds a JMH result array; other JSON
     * files (the heap probe's) are skipped.
     */
    static JmhResults readDirectory(Path dir, JsonMapper mapper) throws IOException {
        List<JmhResult> all = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path file : files) {
                JsonNode root = mapper.readTree(file.toFile());
                if (root.isArray()) {
                    for (JsonNode node : root) {
                        all.add(parse(node));
                    }
                }
            }
        }
        return new JmhResults(all);
    }

    private static JmhResult parse(JsonNode node) {
        String fullName = node.get("benchmark").asString();
        int methodDot = fullName.lastIndexOf('.');
        int classDot = fullName.lastIndexOf('.', methodDot - 1);
        Map<String, String> params = new LinkedHashMap<>();
        JsonNode paramsNode = node.get("params");
        if (paramsNode != null) {
            for (Map.Entry<String, JsonNode> entry : paramsNode.properties()) {
                params.put(entry.getKey(), entry.getValue().asString());
            }
        }
        JsonNode primary = node.get("primaryMetric");
        double alloc = Double.NaN;
        JsonNode secondary = node.get("secondaryMetrics");
        if (secondary != null && secondary.has("gc.alloc.rate.norm")) {
            alloc = medianOfIterations(secondary.get("gc.alloc.rate.norm"));
        }
        String mode = node.get("mode").asString();
        return new JmhResult(fullName.substring(classDot + 1, methodDot), fullName.substring(methodDot + 1),
                mode, node.get("threads").asInt(), params,
                primary.get("score").asDouble(), number(primary.get("scoreError")),
                primary.get("scoreUnit").asString(), bestIteration(primary, mode.equals("thrpt")), alloc);
    }

    /**
     * The median of a metric's per-iteration values. For bytes per operation the median, not
     * JMH's mean: JMH closes the last iteration's allocation count only after the trial's
     * teardown, so closing a pool of thousands of connections lands in that iteration and
     * inflates the mean, while the other iterations show what one operation allocates.
     */
    private static double medianOfIterations(JsonNode metric) {
        List<Double> values = new ArrayList<>();
        JsonNode raw = metric.get("rawData");
        if (raw != null) {
            for (JsonNode fork : raw) {
                for (JsonNode value : fork) {
                    values.add(value.asDouble());
                }
            }
        }
        if (values.isEmpty()) {
            return metric.get("score").asDouble();
        }
        values.sort(null);
        int middle = values.size() / 2;
        return values.size() % 2 == 1 ? values.get(middle) : (values.get(middle - 1) + values.get(middle)) / 2;
    }

    /** The highest (throughput) or lowest (time) per-iteration value of the primary metric. */
    private static double bestIteration(JsonNode primary, boolean higherIsBetter) {
        double best = Double.NaN;
        JsonNode raw = primary.get("rawData");
        if (raw != null) {
            for (JsonNode fork : raw) {
                for (JsonNode value : fork) {
                    double v = value.asDouble();
                    if (Double.isNaN(best) || (higherIsBetter ? v > best : v < best)) {
                        best = v;
                    }
                }
            }
        }
        return Double.isNaN(best) ? primary.get("score").asDouble() : best;
    }

    /** JMH writes "NaN" as a string when one sample gives no error estimate. */
    private static double number(JsonNode node) {
        if (node == null) {
            return Double.NaN;
        }
        return node.isNumber() ? node.asDouble() : Double.NaN;
    }

    /** @return every result read, in file order */
    List<JmhResult> all() {
        return results;
    }

    /** @return the first result that matches, if any */
    Optional<JmhResult> find(Predicate<JmhResult> filter) {
        return results.stream().filter(filter).findFirst();
    }

    /**
     * @param filter which results to keep
     * @return a view of this run holding only the results {@code filter} accepts
     */
    JmhResults only(Predicate<JmhResult> filter) {
        return new JmhResults(select(filter));
    }

    /** @return every result that matches, in file order */
    List<JmhResult> select(Predicate<JmhResult> filter) {
        return results.stream().filter(filter).toList();
    }

    /**
     * A one-thread benchmark's best latency in microseconds, from both modes it ran in: the best
     * average-time iteration, and the inverse of the best throughput iteration. At one thread
     * the two modes measure the same thing in separate forks minutes apart, so on a shared
     * machine the better of the two is the one a neighbour disturbed less.
     *
     * @return the latency, or NaN when neither mode ran
     */
    double bestLatencyMicros(String benchmarkClass, String method) {
        double best = Double.NaN;
        for (JmhResult r : select(x -> x.is(benchmarkClass, method) && x.threads() == 1)) {
            double micros = switch (r.mode() + " " + r.unit()) {
                case "avgt us/op" -> r.best();
                case "avgt ms/op" -> r.best() * 1e3;
                case "thrpt ops/us" -> 1 / r.best();
                case "thrpt ops/ms" -> 1e3 / r.best();
                case "thrpt ops/s" -> 1e6 / r.best();
                default -> Double.NaN;
            };
            if (!Double.isNaN(micros) && (Double.isNaN(best) || micros < best)) {
                best = micros;
            }
        }
        return best;
    }

    /** @return a set with no results, for a suite whose files are absent */
    static JmhResults empty() {
        return new JmhResults(List.of());
    }

    /** @return whether nothing was read */
    boolean isEmpty() {
        return results.isEmpty();
    }
}
