package io.guardian.pool.benchmarks.scale;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * CPU time spent per health pass, in the pool's JVM and in the listener JVMs. Not API.
 *
 * <p>Why: a pass's wall time on a shared two-core machine mixes what the pass costs with how
 * long it waited for a core. CPU time does not depend on the neighbours, so it tells whether a
 * missed time target is the pool's work or the machine's load. Counted over one measurement
 * iteration at a time (reset at each iteration's start), so JIT compilation during warm-up does
 * not inflate it.
 */
final class PassCpu {

    private final OperatingSystemMXBean os =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final PeerFarms farms;
    private long passes;
    private long poolNanos;
    private long farmNanos;
    private long wallNanos;
    private long poolAtStart;
    private long farmAtStart;
    private long wallAtStart;

    PassCpu(PeerFarms farms) {
        this.farms = farms;
    }

    /** Forgets what was counted so far. */
    void reset() {
        passes = 0;
        poolNanos = 0;
        farmNanos = 0;
        wallNanos = 0;
    }

    /** Marks the start of one pass. */
    void begin() {
        wallAtStart = System.nanoTime();
        poolAtStart = os.getProcessCpuTime();
        farmAtStart = farms.cpuNanos();
    }

    /** Marks the end of the pass begun last. */
    void end() {
        poolNanos += os.getProcessCpuTime() - poolAtStart;
        farmNanos += farms.cpuNanos() - farmAtStart;
        wallNanos += System.nanoTime() - wallAtStart;
        passes++;
    }

    /**
     * Writes the per-pass averages of the last counted iteration.
     *
     * @param peers idle connections each pass pinged
     * @param out the JSON file
     * @throws IOException if it cannot be written
     */
    void write(int peers, Path out) throws IOException {
        if (passes == 0) {
            return;
        }
        JsonMapper mapper = JsonMapper.builder().build();
        ObjectNode result = mapper.createObjectNode();
        result.put("peers", peers);
        result.put("passes", passes);
        result.put("wallMillisPerPass", wallNanos / 1e6 / passes);
        result.put("poolCpuMillisPerPass", poolNanos / 1e6 / passes);
        result.put("listenerCpuMillisPerPass", farmNanos / 1e6 / passes);
        mapper.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), result);
    }
}
