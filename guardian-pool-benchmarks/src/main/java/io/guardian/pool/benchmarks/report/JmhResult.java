package io.guardian.pool.benchmarks.report;

import java.util.Map;

/**
 * One benchmark result as JMH wrote it to its JSON file: one method, one mode, one parameter
 * combination. Not API.
 *
 * @param benchmarkClass simple name of the benchmark class
 * @param method benchmark method name
 * @param mode JMH mode short name ({@code thrpt}, {@code avgt}, {@code ss}, ...)
 * @param threads threads the method ran with
 * @param params JMH parameters by name
 * @param score the primary score
 * @param error the 99.9% half-width JMH reports, or NaN when it had too few samples
 * @param unit the primary score's unit, e.g. {@code ops/us}
 * @param best the best measured iteration: the highest for throughput, the lowest for times.
 *     On a machine shared with other engineers' builds, bursts of their load land in some
 *     iterations; the best one is the closest to what the code itself costs. Ratios use it.
 * @param allocBytesPerOp {@code gc.alloc.rate.norm} from {@code -prof gc}, the median over the
 *     measured iterations, or NaN without the profiler
 */
record JmhResult(String benchmarkClass, String method, String mode, int threads, Map<String, String> params,
        double score, double error, String unit, double best, double allocBytesPerOp) {

    /** @return whether this result is for {@code simpleClass.method} */
    boolean is(String simpleClass, String methodName) {
        return benchmarkClass.equals(simpleClass) && method.equals(methodName);
    }

    /** @return the parameter's value, or {@code null} when the benchmark has no such parameter */
    String param(String name) {
        return params.get(name);
    }
}
