package io.guardian.pool.interop;

import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * A reference libp2p peer (go-, rust- or js-libp2p, from {@code interop/}) running as a child
 * process: {@link #listen} starts one listening on 127.0.0.1, {@link #dial} runs one dialing a
 * target through the contract's steps. The peers' command-line contract is in
 * {@code interop/README.md}. Not API: test harness only.
 *
 * <p>A listener's stdout is drained by a thread into a thread-safe event list (one JSON object a
 * line); its stderr into a bounded tail shown in failure messages. {@link #close()} closes the
 * child's stdin, which the peers take as their signal to exit, then kills whatever is left.
 */
public final class InteropPeer implements AutoCloseable {

    /** Deadline for a listener's first line; js-libp2p needs about a second to start. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    /** How long {@link #close()} waits for the exit the contract promises within a second. */
    static final Duration EXIT_GRACE = Duration.ofSeconds(3);

    private final Lang lang;
    private final Process process;
    private final PeerId peerId;
    private final Multiaddr address;
    private final ChildOutput.Tail stderr;
    private final Thread stdoutDrain;
    private final Thread stderrDrain;
    private final EventLog events;
    private final AtomicBoolean closed = new AtomicBoolean();

    private InteropPeer(Lang lang, Process process, Map<String, Object> hello, ChildOutput.Tail stderr,
            Thread stdoutDrain, Thread stderrDrain, EventLog events) {
        this.lang = lang;
        this.process = process;
        this.stderr = stderr;
        this.stdoutDrain = stdoutDrain;
        this.stderrDrain = stderrDrain;
        this.events = events;
        this.peerId = PeerId.parse(requireString(hello, "peerId"));
        Object addrs = hello.get("addrs");
        if (!(addrs instanceof List) || ((List<?>) addrs).isEmpty() || !(((List<?>) addrs).get(0) instanceof String)) {
            throw new IllegalStateException(lang.id() + " peer announced no listen address: " + hello);
        }
        this.address = Multiaddr.parse((String) ((List<?>) addrs).get(0)).withPeerId(peerId);
    }

    /**
     * Builds (or reuses) the peer of {@code lang} and starts it listening on 127.0.0.1, with optional
     * {@code listen} flags, e.g. go's {@code --conn-low 1 --conn-high 2 --conn-grace 1s} or rust's
     * {@code --idle-timeout-ms 500} (interop/README.md lists them per language).
     *
     * @param lang which implementation
     * @param flags flags after {@code listen}; a peer given flags it does not know exits with 2,
     *     which surfaces here as a failure to start
     * @return the running peer; close it to stop it
     * @throws InteropToolchainMissingException when the language's toolchain is missing
     * @throws IllegalStateException when the peer fails to start or to announce itself in time
     */
    public static InteropPeer listen(Lang lang, String... flags) {
        Path exe = InteropBuild.executable(lang);
        List<String> command = new ArrayList<>(List.of(exe.toString(), "listen"));
        command.addAll(Arrays.asList(flags));
        Process process = start(lang, command);
        ChildOutput.Tail stderr = new ChildOutput.Tail();
        Thread errDrain = stderr.drain(process.getErrorStream(), "interop-" + lang.id() + "-listen-err");
        CompletableFuture<Map<String, Object>> hello = new CompletableFuture<>();
        EventLog events = new EventLog();
        // The first line is the announcement, every later one an event.
        Thread outDrain = ChildOutput.drainLines(process.getInputStream(), "interop-" + lang.id() + "-listen-out",
                line -> {
                    if (hello.isDone()) {
                        events.add(parseEvent(line));
                        return;
                    }
                    try {
                        hello.complete(FlatJson.parseObject(line));
                    } catch (IllegalArgumentException e) {
                        hello.completeExceptionally(new IllegalStateException(
                                lang.id() + " peer's first line is not its announcement: " + line, e));
                    }
                },
                () -> hello.completeExceptionally(new IllegalStateException(lang.id() + " peer exited before announcing itself")));
        Map<String, Object> first;
        try {
            first = hello.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            ChildOutput.killTree(process, EXIT_GRACE);
            ChildOutput.join(errDrain, Duration.ofSeconds(1));
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("The " + lang.id() + " peer did not start listening within "
                    + START_TIMEOUT + ": " + cause.getMessage() + "; its stderr:\n" + stderr, cause);
        }
        try {
            return new InteropPeer(lang, process, first, stderr, outDrain, errDrain, events);
        } catch (RuntimeException e) {
            ChildOutput.killTree(process, EXIT_GRACE);
            throw e;
        }
    }

    /**
     * Builds (or reuses) the peer of {@code lang} and runs its {@code dial} against a target,
     * killing it (and its children) if it has not finished by the deadline.
     *
     * @param lang which implementation dials
     * @param target the listener's address, ending in {@code /p2p/<id>}
     * @param timeout deadline for the whole run
     * @param steps the steps to run (identify, ping, echo, concurrent, refused); none for all
     * @return the step lines, exit code and stderr
     */
    public static DialResult dial(Lang lang, Multiaddr target, Duration timeout, String... steps) {
        return dial(lang, target, timeout, List.of(), steps);
    }

    /**
     * {@link #dial(Lang, Multiaddr, Duration, String...)} with more flags of {@code dial}, e.g.
     * go's {@code --key-type secp256k1} (interop/README.md).
     *
     * @param lang which implementation dials
     * @param target the listener's address, ending in {@code /p2p/<id>}
     * @param timeout deadline for the whole run
     * @param flags flags after the target
     * @param steps the steps to run; none for all
     * @return the step lines, exit code and stderr
     */
    public static DialResult dial(Lang lang, Multiaddr target, Duration timeout, List<String> flags, String... steps) {
        Objects.requireNonNull(target, "target");
        if (target.peerId().isEmpty()) {
            throw new IllegalArgumentException("The target must end in /p2p/<peer id>: " + target);
        }
        Path exe = InteropBuild.executable(lang);
        List<String> command = new ArrayList<>(List.of(exe.toString(), "dial", target.toString()));
        command.addAll(flags);
        if (steps.length > 0) {
            command.add("--steps");
            command.add(String.join(",", Arrays.asList(steps)));
        }
        Process process = start(lang, command);
        List<Map<String, Object>> lines = new ArrayList<>();
        Thread out = ChildOutput.drainLines(process.getInputStream(), "interop-" + lang.id() + "-dial-out",
                line -> {
                    Map<String, Object> parsed = parseEvent(line);
                    synchronized (lines) {
                        lines.add(parsed);
                    }
                }, () -> { });
        ChildOutput.Tail stderr = new ChildOutput.Tail();
        Thread err = stderr.drain(process.getErrorStream(), "interop-" + lang.id() + "-dial-err");
        boolean exited = ChildOutput.waitFor(process, timeout);
        if (!exited) {
            ChildOutput.killTree(process, EXIT_GRACE);
        }
        ChildOutput.join(out, Duration.ofSeconds(2));
        ChildOutput.join(err, Duration.ofSeconds(2));
        int code = process.isAlive() ? -1 : process.exitValue();
        synchronized (lines) {
            return new DialResult(lang, exited ? code : -1, !exited, List.copyOf(lines), stderr.toString());
        }
    }

    private static Process start(Lang lang, List<String> command) {
        try {
            return new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new IllegalStateException("Could not start the " + lang.id() + " peer: " + e.getMessage(), e);
        }
    }

    /** A line that is not JSON is kept as an event too, so a failure message shows it. */
    private static Map<String, Object> parseEvent(String line) {
        try {
            return FlatJson.parseObject(line);
        } catch (IllegalArgumentException e) {
            return Map.of("event", "unparsable", "line", line);
        }
    }

    private static String requireString(Map<String, Object> hello, String key) {
        Object v = hello.get(key);
        if (!(v instanceof String)) {
            throw new IllegalStateException("Peer announcement lacks \"" + key + "\": " + hello);
        }
        return (String) v;
    }

    /** @return the implementation this peer runs */
    public Lang lang() {
        return lang;
    }

    /** @return the peer's identity, a fresh Ed25519 key per run */
    public PeerId peerId() {
        return peerId;
    }

    /** @return where it listens, {@code /ip4/127.0.0.1/tcp/<port>/p2p/<id>} */
    public Multiaddr address() {
        return address;
    }

    /** @return a snapshot of the event lines printed so far, oldest first */
    public List<Map<String, Object>> events() {
        return events.snapshot();
    }

    /** @return the last {@value ChildOutput#TAIL_CHARS} characters the peer wrote to stderr */
    public String stderr() {
        return stderr.toString();
    }

    /**
     * Waits for an event line (printed before or after this call) that matches.
     *
     * @param predicate what to look for, e.g. {@code e -> "echo".equals(e.get("event"))}
     * @param timeout how long to wait
     * @return the first matching event
     * @throws AssertionError naming the events seen when none matches in time
     */
    public Map<String, Object> awaitEvent(Predicate<Map<String, Object>> predicate, Duration timeout) {
        return events.await(predicate, timeout).orElseThrow(() -> new AssertionError("No matching event from the "
                + lang.id() + " peer within " + timeout + "; events: " + events.snapshot() + "; stderr:\n" + stderr));
    }

    /** @return whether the child process is still running */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Stops the peer: closes its stdin (the contract's stop signal), waits up to
     * {@link #EXIT_GRACE}, then kills it and its descendants. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // Already closed or the child is gone: either way it has its stop signal.
        }
        if (!ChildOutput.waitFor(process, EXIT_GRACE)) {
            ChildOutput.killTree(process, EXIT_GRACE);
        }
        ChildOutput.join(stdoutDrain, Duration.ofSeconds(1));
        ChildOutput.join(stderrDrain, Duration.ofSeconds(1));
    }

    /** The event lines of one listener, appended by its drain thread, awaited by tests. */
    private static final class EventLog {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final List<Map<String, Object>> events = new ArrayList<>();

        void add(Map<String, Object> event) {
            lock.lock();
            try {
                events.add(event);
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        List<Map<String, Object>> snapshot() {
            lock.lock();
            try {
                return List.copyOf(events);
            } finally {
                lock.unlock();
            }
        }

        Optional<Map<String, Object>> await(Predicate<Map<String, Object>> predicate, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            lock.lock();
            try {
                int checked = 0;
                while (true) {
                    for (; checked < events.size(); checked++) {
                        if (predicate.test(events.get(checked))) {
                            return Optional.of(events.get(checked));
                        }
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return Optional.empty();
                    }
                    try {
                        changed.awaitNanos(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return Optional.empty();
                    }
                }
            } finally {
                lock.unlock();
            }
        }
    }
}
