package io.guardian.pool.benchmarks.scale;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * How many sockets fit under this process's open-files limit, which the scale suite sizes itself
 * to. Not API.
 */
final class FileLimits {

    /**
     * Descriptors kept free for what a JVM opens besides the measured sockets: jars, epoll and
     * event fds of the event loops, pipes, the control sockets, the JIT's and GC's files.
     */
    static final int RESERVE = 512;

    private FileLimits() {
    }

    /** @return this process's open-files soft limit (child JVMs inherit it) */
    static long limit() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof UnixOperatingSystemMXBean unix) {
            return unix.getMaxFileDescriptorCount();
        }
        throw new IllegalStateException("the scale suite needs a Unix JVM to read the open-files limit, got "
                + os.getClass().getName());
    }

    /**
     * The pool's JVM holds one socket per peer.
     *
     * @param requested peers asked for
     * @return peers that fit, at most {@code requested}
     */
    static int peersThatFitInPoolJvm(int requested) {
        return (int) Math.min(requested, Math.max(0, limit() - RESERVE));
    }

    /**
     * A listener JVM holds two sockets per peer: the listening one and the accepted connection.
     *
     * @return peers one listener JVM can serve
     */
    static int peersPerListenerJvm() {
        return (int) Math.max(1, (limit() - RESERVE) / 2);
    }
}
