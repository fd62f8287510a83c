package io.guardian.pool.reliability;

import static org.awaitility.Awaitility.await;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.internal.transport.EventLoops;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What the process holds at one moment: open file descriptors ({@code /proc/self/fd}: sockets,
 * epoll instances, pipes) and live threads. A test takes a baseline before it starts anything and
 * awaits the same figures after it closed everything.
 */
final class ProcessProbe {

    /** Every thread the transport and the pool start has a name with this prefix. */
    static final String GUARDIAN_PREFIX = "guardian-";

    final int fileDescriptors;
    final Set<Thread> threads;
    private final Map<String, String> descriptorTargets;

    private ProcessProbe(int fileDescriptors, Map<String, String> descriptorTargets, Set<Thread> threads) {
        this.fileDescriptors = fileDescriptors;
        this.descriptorTargets = descriptorTargets;
        this.threads = threads;
    }

    private static boolean warmedUp;

    /**
     * Takes a baseline once nothing of the transport runs any more (an earlier test may still be
     * stopping). The first call in a JVM first pays the JVM's one-time costs, which are not the
     * code's to give back: a pool dials a listener once, so every class is loaded and every jar
     * opened, and {@code SecureRandom} opens {@code /dev/random} and {@code /dev/urandom} for good.
     */
    static synchronized ProcessProbe baseline() {
        if (!warmedUp) {
            warmUp();
            warmedUp = true;
        }
        await("transport threads of earlier tests to end").atMost(Duration.ofSeconds(30))
                .until(() -> !EventLoops.inUse() && guardianThreads().isEmpty());
        return now();
    }

    private static void warmUp() {
        new java.security.SecureRandom().nextBytes(new byte[8]);
        try (LoopbackPeer peer = LoopbackPeer.start();
                OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.defaults())) {
            try (PeerConnection lease = pool.acquire(peer.id, peer.address)) {
                lease.request(new byte[] {1}, Duration.ofSeconds(10));
            }
            pool.checkHealth();
        }
    }

    static ProcessProbe now() {
        return new ProcessProbe(fileDescriptors(), descriptors(), liveThreads());
    }

    /** Open file descriptors of this JVM (cheap: a listing, no link reads, so samplers may call it often). */
    static int fileDescriptors() {
        int count = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path ignored : fds) {
                count++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list /proc/self/fd (the reliability suite needs Linux)", e);
        }
        return count - 1; // the listing's own descriptor
    }

    /**
     * Open descriptors and what each points at ({@code socket:[inode]}, {@code anon_inode:[eventpoll]},
     * a jar file, ...), without the one the listing itself holds.
     */
    private static Map<String, String> descriptors() {
        Map<String, String> out = new TreeMap<>();
        Path dir = Path.of("/proc/self/fd");
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(dir)) {
            for (Path fd : fds) {
                try {
                    out.put(fd.getFileName().toString(), Files.readSymbolicLink(fd).toString());
                } catch (IOException unreadable) {
                    out.put(fd.getFileName().toString(), "(unreadable: " + unreadable + ")");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list /proc/self/fd (the reliability suite needs Linux)", e);
        }
        String own = "/proc/" + ProcessHandle.current().pid() + "/fd";
        out.values().removeIf(target -> target.equals(own) || target.equals(dir.toString()));
        return out;
    }

    /** Descriptors open now that were not open at this baseline, with their targets. */
    List<String> newDescriptors() {
        List<String> out = new ArrayList<>();
        descriptors().forEach((fd, target) -> {
            if (!target.equals(descriptorTargets.get(fd))) {
                out.add(fd + " -> " + target);
            }
        });
        return out;
    }

    static Set<Thread> liveThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).collect(Collectors.toSet());
    }

    /** Live threads of the whole JVM (cheap enough for a sampler). */
    static int threadCount() {
        return java.lang.management.ManagementFactory.getThreadMXBean().getThreadCount();
    }

    /** Names of live threads the pool or the transport started. */
    static List<String> guardianThreads() {
        return liveThreads().stream().map(Thread::getName).filter(n -> n.startsWith(GUARDIAN_PREFIX)).sorted()
                .collect(Collectors.toList());
    }

    /** Names of threads alive now that were not alive at this baseline. */
    List<String> newThreads() {
        return liveThreads().stream().filter(t -> !threads.contains(t)).filter(t -> !jvmOwned(t))
                .map(Thread::getName).sorted().collect(Collectors.toList());
    }

    /**
     * Threads the JDK and the test tools start on their own schedule whatever the code under test
     * does; none of them is started by the pool or the transport (they never use the common pool).
     * JUnit starts its timeout watcher at the first {@code @Timeout} test, after a baseline taken in
     * {@code @BeforeAll}, and keeps it for the rest of the run.
     */
    private static boolean jvmOwned(Thread t) {
        String name = t.getName();
        return name.startsWith("ForkJoinPool.commonPool-worker") || name.equals("Attach Listener")
                || name.startsWith("awaitility") || name.equals("junit-jupiter-timeout-watcher")
                // The JDK's timer for CompletableFuture.orTimeout and delayedExecutor: started by
                // the first such call in the JVM (a test's), it lives as long as the JVM.
                || name.equals("CompletableFutureDelayScheduler");
    }

    /** Waits until descriptors and threads are back at this baseline, and fails naming what is left. */
    void awaitBackToBaseline(Duration within) {
        try {
            await("threads back to the baseline").atMost(within).until(() -> newThreads().isEmpty());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("threads not back to the baseline within " + within + "; still alive: "
                    + newThreads(), e);
        }
        try {
            await("file descriptors back to the baseline (" + fileDescriptors + ")").atMost(within)
                    .until(() -> fileDescriptors() <= fileDescriptors);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("file descriptors not back to the baseline of " + fileDescriptors
                    + " within " + within + " (now " + fileDescriptors() + "); new or changed since the baseline: "
                    + newDescriptors(), e);
        }
    }

    /** Records the baseline and the figures now under {@code into}. */
    void report(Figures into, String label) {
        into.put(label + "FileDescriptors", fileDescriptors);
        into.put(label + "Threads", threads.size());
    }
}
