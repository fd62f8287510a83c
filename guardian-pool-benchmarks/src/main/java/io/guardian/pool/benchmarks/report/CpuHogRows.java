package io.guardian.pool.benchmarks.report;

import static io.guardian.pool.benchmarks.report.ResultsTable.FLOOR;
import static io.guardian.pool.benchmarks.report.ResultsTable.GUARDIAN_REQUEST;
import static io.guardian.pool.benchmarks.report.ResultsTable.number;
import static io.guardian.pool.benchmarks.report.ResultsTable.times;
import static io.guardian.pool.benchmarks.report.ResultsTable.withError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Suite 2 beside CPU hogs (issue 17 item 5): the pooled request, the same with the listener's
 * handler inline, and the bare-socket floor, measured in one JMH invocation while run.sh keeps
 * one {@code yes > /dev/null} per CPU running. Its files live in the {@value #DIRECTORY}
 * subdirectory, apart from suite 2's quiet results (same benchmark names): the JMH JSON
 * {@value #RESULTS} and run.sh's {@value #HOGS} (hog count, command, load averages). Not API.
 */
final class CpuHogRows {

    /** Subdirectory of the results directory that run.sh writes this suite's files into. */
    static final String DIRECTORY = "cpu-hogs";
    /** The JMH JSON of the run beside the hogs. */
    static final String RESULTS = "results.json";
    /** Written by run.sh: {@code {"hogs": N, "command": ..., "loadBefore": ..., "loadAfter": ...}}. */
    static final String HOGS = "hogs.json";
    /** The bound: the pooled request within 1.5x the floor, with the machine loaded. */
    static final double TARGET_RATIO = 1.5;

    private final JmhResults results;
    private final JsonNode hogs;

    private CpuHogRows(JmhResults results, JsonNode hogs) {
        this.results = results;
        this.hogs = hogs;
    }

    /**
     * Reads the suite's files from {@code dir}/{@value #DIRECTORY}; absent files give no rows and
     * a "not measured" target.
     *
     * @param dir the run's results directory
     * @param mapper the JSON reader
     * @return the rows and target of this run
     * @throws IOException if a file exists but cannot be read
     */
    static CpuHogRows read(Path dir, JsonMapper mapper) throws IOException {
        Path sub = dir.resolve(DIRECTORY);
        if (!Files.isDirectory(sub)) {
            return new CpuHogRows(JmhResults.empty(), null);
        }
        Path hogsFile = sub.resolve(HOGS);
        return new CpuHogRows(JmhResults.readDirectory(sub, mapper),
                Files.exists(hogsFile) ? mapper.readTree(hogsFile.toFile()) : null);
    }

    private String hogCount() {
        return hogs == null ? "?" : Integer.toString(hogs.get("hogs").asInt());
    }

    private String setting(String server) {
        String load = hogs == null ? "" : ", load " + hogs.get("loadBefore").asString() + " → "
                + hogs.get("loadAfter").asString();
        return "1 thread, " + server + ", beside " + hogCount() + " CPU hogs (" + (hogs == null ? "?"
                : hogs.get("command").asString()) + load + ")";
    }

    List<String[]> rows() {
        List<String[]> rows = new ArrayList<>();
        double floor = results.bestLatencyMicros(FLOOR, "bareSocketRoundTrip");
        String[][] subjects = {
            {GUARDIAN_REQUEST, "pooledRequest", "Guardian, pooled connection", "listener's default handler pool"},
            {GUARDIAN_REQUEST, "pooledRequestInlineHandler", "Guardian, pooled connection",
                "listener handler inline (handlerExecutor(Runnable::run))"},
            {FLOOR, "bareSocketRoundTrip", "bare JDK socket (floor)", "blocking echo thread"},
        };
        for (String[] subject : subjects) {
            // One row per subject: its best latency over the avgt and thrpt runs, as suite 2's targets.
            List<JmhResult> avgt = results.select(x -> x.is(subject[0], subject[1]) && x.mode().equals("avgt"));
            double latency = results.bestLatencyMicros(subject[0], subject[1]);
            if (Double.isNaN(latency)) {
                continue;
            }
            String mean = avgt.isEmpty() ? "" : withError(avgt.get(0));
            rows.add(new String[] {"2 end to end, 64 B, CPU hogs", subject[2], setting(subject[3]), mean,
                    number(latency), "us/op", "", Double.isNaN(floor) ? "" : times(latency / floor) + " floor latency"});
        }
        return rows;
    }

    String targets() {
        double pooled = results.bestLatencyMicros(GUARDIAN_REQUEST, "pooledRequest");
        double inline = results.bestLatencyMicros(GUARDIAN_REQUEST, "pooledRequestInlineHandler");
        double floor = results.bestLatencyMicros(FLOOR, "bareSocketRoundTrip");
        StringBuilder out = new StringBuilder("\nBeside CPU hogs (issue 17 item 5; run.sh's suite 2-beside-cpu-hogs):\n\n");
        verdict(out, "pooled request beside " + hogCount() + " CPU hogs <= 1.5× the floor in the same run "
                + "(listener's default handler pool)", pooled, floor);
        verdict(out, "pooled request beside " + hogCount() + " CPU hogs <= 1.5× the floor in the same run "
                + "(listener handler inline)", inline, floor);
        return out.toString();
    }

    private static void verdict(StringBuilder out, String target, double ours, double floor) {
        out.append("- ").append(target).append(": ");
        if (Double.isNaN(ours) || Double.isNaN(floor)) {
            out.append("**not measured** (run it with GUARDIAN_BENCH_SUITES naming 2-beside-cpu-hogs, or a whole run)\n");
            return;
        }
        double ratio = ours / floor;
        out.append(ratio <= TARGET_RATIO ? "**met**, " : "**missed**, ").append(times(ratio)).append(" (")
                .append(number(ours)).append(" vs ").append(number(floor)).append(" µs, best of avgt and 1/thrpt)\n");
    }
}
