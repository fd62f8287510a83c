package io.guardian.pool.benchmarks.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/** The CPU-hog verdicts: read from cpu-hogs/ only, judged against the floor of the same file. */
class CpuHogRowsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String PACKAGE = "io.guardian.pool.benchmarks.endtoend.";

    @TempDir
    Path dir;

    private static String result(String benchmark, String mode, String unit, double... iterations) {
        StringBuilder raw = new StringBuilder();
        for (double value : iterations) {
            raw.append(raw.length() == 0 ? "" : ", ").append(value);
        }
        return """
                {"benchmark": "%s%s", "mode": "%s", "threads": 1,
                 "primaryMetric": {"score": %s, "scoreError": "NaN", "scoreUnit": "%s", "rawData": [[%s]]}}
                """.formatted(PACKAGE, benchmark, mode, iterations[0], unit, raw);
    }

    private void write(double pooledBest, double inlineBest) throws IOException {
        Path sub = Files.createDirectories(dir.resolve(CpuHogRows.DIRECTORY));
        Files.writeString(sub.resolve(CpuHogRows.RESULTS), "["
                + result("GuardianRequestBenchmark.pooledRequest", "avgt", "us/op", pooledBest * 3, pooledBest) + ","
                + result("GuardianRequestBenchmark.pooledRequestInlineHandler", "avgt", "us/op", inlineBest) + ","
                // The floor's throughput run is its best: 1 / 0.05 ops/us = 20 us.
                + result("SocketFloorBenchmark.bareSocketRoundTrip", "avgt", "us/op", 25, 40) + ","
                + result("SocketFloorBenchmark.bareSocketRoundTrip", "thrpt", "ops/us", 0.04, 0.05) + "]");
        Files.writeString(sub.resolve(CpuHogRows.HOGS),
                "{\"hogs\": 2, \"command\": \"yes > /dev/null\", \"loadBefore\": \"0.50\", \"loadAfter\": \"2.10\"}");
    }

    @Test
    void eachPooledRowIsJudgedAgainstTheFloorOfTheSameRunWithTheBoundIncluded() throws IOException {
        write(30, 30.2);
        String targets = CpuHogRows.read(dir, JSON).targets();
        assertThat(targets).contains("pooled request beside 2 CPU hogs <= 1.5× the floor in the same run "
                + "(listener's default handler pool): **met**, 1.50× (30.0 vs 20.0 µs");
        assertThat(targets).contains("(listener handler inline): **missed**, 1.51×");
    }

    @Test
    void rowsSayWhichHandlerSettingAndHowManyHogs() throws IOException {
        write(80, 35);
        var rows = CpuHogRows.read(dir, JSON).rows();
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0)[2]).contains("listener's default handler pool").contains("beside 2 CPU hogs")
                .contains("load 0.50 → 2.10");
        assertThat(rows.get(0)[7]).isEqualTo("4.00× floor latency");
        assertThat(rows.get(1)[2]).contains("listener handler inline");
    }

    @Test
    void withoutTheSuitesFilesTheTargetIsNotMeasured() throws IOException {
        CpuHogRows none = CpuHogRows.read(dir, JSON);
        assertThat(none.rows()).isEmpty();
        assertThat(none.targets()).contains("**not measured**");
    }
}
