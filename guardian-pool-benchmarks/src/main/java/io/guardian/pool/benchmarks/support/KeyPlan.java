package io.guardian.pool.benchmarks.support;

import java.util.SplittableRandom;

/**
 * Which keys (peers, routes) each benchmark thread walks, identical for every pool so that the
 * pools are compared on the same access pattern.
 *
 * <p>With at least as many keys as threads, key {@code k} belongs to thread {@code k % threads}:
 * no two threads ever want the same key, so one warm connection per key is always idle and the
 * benchmark measures the reuse path, not waiting or dialing. With fewer keys than threads (the
 * one-key case) every thread walks every key, they contend for the same key, and each key is
 * warmed with one connection per thread so that nobody has to wait for one.
 */
public final class KeyPlan {

    /** Seed for the walk order, fixed so that two runs walk keys in the same order. */
    private static final long SEED = 0x6A09E667F3BCC909L;

    private KeyPlan() {
    }

    /**
     * The keys one thread walks, in a shuffled but reproducible order (a shuffled walk keeps a
     * pool's key lookup from being flattered by sequential keys).
     *
     * @param keyCount number of keys in the pool, at least 1
     * @param threadIndex this thread's index, 0-based
     * @param threadCount number of benchmark threads, at least 1
     * @return indices into the key table
     */
    public static int[] keysFor(int keyCount, int threadIndex, int threadCount) {
        if (keyCount < 1 || threadCount < 1 || threadIndex < 0 || threadIndex >= threadCount) {
            throw new IllegalArgumentException("need keyCount >= 1 and 0 <= threadIndex < threadCount >= 1, got keyCount="
                    + keyCount + ", threadIndex=" + threadIndex + ", threadCount=" + threadCount);
        }
        int[] keys;
        if (keyCount >= threadCount) {
            keys = new int[(keyCount - threadIndex + threadCount - 1) / threadCount];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = threadIndex + i * threadCount;
            }
        } else {
            keys = new int[keyCount];
            for (int i = 0; i < keyCount; i++) {
                keys[i] = i;
            }
        }
        SplittableRandom random = new SplittableRandom(SEED + threadIndex);
        for (int i = keys.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = keys[i];
            keys[i] = keys[j];
            keys[j] = swap;
        }
        return keys;
    }

    /**
     * How many idle connections each key needs before measurement so that no thread waits or dials.
     *
     * @param keyCount number of keys
     * @param threadCount number of benchmark threads
     * @return connections to warm per key
     */
    public static int warmPerKey(int keyCount, int threadCount) {
        return keyCount >= threadCount ? 1 : (threadCount + keyCount - 1) / keyCount;
    }

    /**
     * A thread's position in its key walk. Not thread-safe: one per benchmark thread.
     */
    public static final class Walk {

        private final int[] keys;
        private int next;

        /**
         * Starts a walk over the given keys.
         *
         * @param keys the keys from {@link #keysFor}
         */
        public Walk(int[] keys) {
            if (keys.length == 0) {
                throw new IllegalArgumentException("a walk needs at least one key");
            }
            this.keys = keys;
        }

        /** @return the next key, cycling through the walk */
        public int next() {
            int i = next;
            int key = keys[i];
            next = i + 1 == keys.length ? 0 : i + 1;
            return key;
        }
    }
}
