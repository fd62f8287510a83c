package io.guardian.pool.benchmarks.acquire;

import java.util.List;

/**
 * One comparison pool behind the same two calls, so every pool runs the identical benchmark loop.
 * Not API. Each JMH fork loads exactly one implementation, so the call site stays monomorphic and
 * the indirection costs nothing measurable.
 *
 * <p>Public so that other suites (the scale suite's walk over N keys) measure the very same pool
 * configurations as suite 1, built by {@link #create}.
 */
public interface KeyedPoolUnderTest extends AutoCloseable {

    /** Names {@link #create} accepts, as suite 1's {@code pool} parameter spells them. */
    List<String> POOLS = List.of("commons-pool2", "commons-pool2-no-reuse-capacity", "httpcore5-strict",
            "httpcore5-lax", "httpcore5-segmented");

    /**
     * Builds one comparison pool holding fake connections, configured as suite 1 describes
     * (no validation, no JMX, LIFO, no time to live, global maximum {@code keyCount × maxPerKey}
     * where the pool has one).
     *
     * @param pool one of {@link #POOLS}
     * @param keyCount how many keys (routes) the pool will see, at least 1
     * @param maxPerKey per-key maximum, at least 1
     * @return the pool, empty; {@link #warm} it before measuring
     * @throws IllegalArgumentException for an unknown pool name or a count below 1
     */
    static KeyedPoolUnderTest create(String pool, int keyCount, int maxPerKey) {
        if (keyCount < 1 || maxPerKey < 1) {
            throw new IllegalArgumentException("need keyCount >= 1 and maxPerKey >= 1, got keyCount=" + keyCount
                    + ", maxPerKey=" + maxPerKey);
        }
        return switch (pool) {
            case "commons-pool2" -> new CommonsKeyedPool(keyCount, maxPerKey, true);
            case "commons-pool2-no-reuse-capacity" -> new CommonsKeyedPool(keyCount, maxPerKey, false);
            case "httpcore5-strict" -> new HttpCorePool(HttpCorePool.Kind.STRICT, keyCount, maxPerKey);
            case "httpcore5-lax" -> new HttpCorePool(HttpCorePool.Kind.LAX, keyCount, maxPerKey);
            case "httpcore5-segmented" -> new HttpCorePool(HttpCorePool.Kind.SEGMENTED, keyCount, maxPerKey);
            default -> throw new IllegalArgumentException("unknown pool '" + pool + "'; use one of " + POOLS);
        };
    }

    /**
     * Borrows a warm connection for key number {@code key} and returns it at once.
     *
     * @param key index into the pool's key table
     * @return the connection that was borrowed, for the blackhole
     * @throws Exception whatever the pool throws; a benchmark run fails on it
     */
    Object borrowAndRelease(int key) throws Exception;

    /**
     * Borrows {@code count} connections for key number {@code key}, creating them if needed, and
     * returns them all, so the key has that many idle connections before measurement starts.
     *
     * @param key index into the pool's key table
     * @param count how many connections to hold at once
     * @throws Exception whatever the pool throws
     */
    void warm(int key, int count) throws Exception;

    /** Closes the pool and its fake connections. */
    @Override
    void close();
}
