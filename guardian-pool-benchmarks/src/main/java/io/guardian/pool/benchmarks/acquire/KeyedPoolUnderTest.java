package io.guardian.pool.benchmarks.acquire;

/**
 * One comparison pool behind the same two calls, so every pool runs the identical benchmark loop.
 * Not API. Each JMH fork loads exactly one implementation, so the call site stays monomorphic and
 * the indirection costs nothing measurable.
 */
interface KeyedPoolUnderTest extends AutoCloseable {

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
