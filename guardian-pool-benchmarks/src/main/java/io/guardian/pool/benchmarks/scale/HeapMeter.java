package io.guardian.pool.benchmarks.scale;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Heap in use after full collections, the figure heap-per-connection is computed from. Not API.
 */
final class HeapMeter {

    /** Collections per reading: until used heap stops shrinking, within this many. */
    private static final int MAX_COLLECTIONS = 8;

    private HeapMeter() {
    }

    /**
     * Collects until the used heap stops shrinking (a full GC can leave objects that a
     * finalizer-like cleaner frees only on the next one) and returns the settled value.
     *
     * @return bytes of heap in use
     */
    static long usedAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long previous = Long.MAX_VALUE;
        long used = 0;
        for (int i = 0; i < MAX_COLLECTIONS; i++) {
            // An explicit, blocking full collection is the point here: we want live data only.
            System.gc();
            used = memory.getHeapMemoryUsage().getUsed();
            if (used >= previous - previous / 1000) {
                break;
            }
            previous = used;
        }
        return used;
    }
}
