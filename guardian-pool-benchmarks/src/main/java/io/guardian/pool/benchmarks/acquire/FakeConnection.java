package io.guardian.pool.benchmarks.acquire;

import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.io.ModalCloseable;

/**
 * The connection the comparison pools hold: a plain object with an open flag, so that their
 * acquire/release cost is measured with nothing underneath. Guardian Pool is measured with real
 * loopback sockets instead, which can only make it look worse.
 */
public final class FakeConnection implements ModalCloseable {

    private final int key;
    private volatile boolean open = true;

    /**
     * Creates an open fake connection.
     *
     * @param key the pool key it was created for, kept so a mix-up between keys would be visible
     */
    public FakeConnection(int key) {
        this.key = key;
    }

    /** @return the pool key this connection was created for */
    public int key() {
        return key;
    }

    /** @return whether {@link #close()} has not been called yet */
    public boolean isOpen() {
        return open;
    }

    /** Marks the connection closed; the pools call this when they discard it. */
    @Override
    public void close(CloseMode closeMode) {
        open = false;
    }

    /** Marks the connection closed, as {@link #close(CloseMode)}. */
    @Override
    public void close() {
        open = false;
    }
}
