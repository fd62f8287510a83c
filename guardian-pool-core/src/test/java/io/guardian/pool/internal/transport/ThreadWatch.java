package io.guardian.pool.internal.transport;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/** Finds threads the transport started: event loops, offload workers, listener handler pools. */
public final class ThreadWatch {

    private ThreadWatch() {
    }

    /** Names of live threads whose name starts with {@code guardian-}. */
    public static List<String> guardianThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.startsWith("guardian-")).sorted().collect(Collectors.toList());
    }

    /** Waits until every transport thread has ended and no handle holds the event loops. */
    public static void awaitNoGuardianThreads() {
        await("event loops released").atMost(Duration.ofSeconds(10)).until(() -> !EventLoops.inUse());
        await("guardian threads to end").atMost(Duration.ofSeconds(15)).until(() -> guardianThreads().isEmpty());
    }
}
