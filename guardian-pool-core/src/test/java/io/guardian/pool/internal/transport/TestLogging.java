package io.guardian.pool.internal.transport;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps test output readable: Netty's and our own per-connection debug lines (one per rejected
 * stranger) are useful in production troubleshooting, noise in a fuzz run.
 */
public final class TestLogging {

    private TestLogging() {
    }

    public static void quiet() {
        ((Logger) LoggerFactory.getLogger("io.netty")).setLevel(Level.INFO);
        ((Logger) LoggerFactory.getLogger("io.guardian.pool")).setLevel(Level.INFO);
        ((Logger) LoggerFactory.getLogger("io.guardian.pool.internal.transport")).setLevel(null);
    }

    /** Silences expected per-connection warnings too (fuzzing produces thousands on purpose). */
    public static void silent() {
        quiet();
        ((Logger) LoggerFactory.getLogger("io.guardian.pool.internal.transport")).setLevel(Level.ERROR);
    }
}
