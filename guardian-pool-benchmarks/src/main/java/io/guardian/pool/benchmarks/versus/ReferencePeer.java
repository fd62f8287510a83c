package io.guardian.pool.benchmarks.versus;

import io.guardian.pool.peer.Multiaddr;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One reference libp2p implementation (go, rust or js) in its benchmark mode, run through
 * {@code interop/build.sh}: a {@code bench-listen} process to dial, and {@code bench-dial} runs
 * that measure the implementation's own stack and print one JSON line (interop/README.md has the
 * contract). Every wait has a deadline; a listener is stopped by closing its stdin, and killed if
 * it does not go. Not API.
 */
final class ReferencePeer implements AutoCloseable {

    /** How long a build may take: the first build of a peer compiles its libp2p (minutes for rust). */
    static final Duration BUILD_DEADLINE = Duration.ofMinutes(15);
    private static final Duration START_DEADLINE = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String lang;
    private final Path executable;
    private final Process listener;
    private final Multiaddr address;

    private ReferencePeer(String lang, Path executable, Process listener, Multiaddr address) {
        this.lang = lang;
        this.executable = executable;
        this.listener = listener;
        this.address = address;
    }

    /**
     * Builds (or reuses the cached build of) one peer and starts its benchmark listener.
     *
     * @param interop the {@code interop} directory of the checkout
     * @param lang {@code go}, {@code rust} or {@code js}
     * @return the running peer
     * @throws IOException if the build fails (its stderr is in the message) or the listener does
     *     not announce its address in time
     */
    static ReferencePeer start(Path interop, String lang) throws IOException {
        Path executable = build(interop, lang);
        Process process = new ProcessBuilder(executable.toString(), "bench-listen")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String first = within(CompletableFuture.supplyAsync(() -> readLine(out)), START_DEADLINE, lang + " bench-listen");
            if (first == null) {
                throw new IOException(lang + " bench-listen exited before announcing its address");
            }
            JsonNode announced = JSON.readTree(first);
            Multiaddr address = Multiaddr.parse(announced.get("addrs").get(0).asString() + "/p2p/"
                    + announced.get("peerId").asString());
            return new ReferencePeer(lang, executable, process, address);
        } catch (IOException | RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /** Runs {@code interop/build.sh <lang>} and returns the executable it prints. */
    private static Path build(Path interop, String lang) throws IOException {
        Path log = Files.createTempFile("guardian-bench-build-" + lang, ".log");
        try {
            Process build = new ProcessBuilder(interop.resolve("build.sh").toString(), lang)
                    .redirectError(log.toFile())
                    .start();
            BufferedReader out = new BufferedReader(new InputStreamReader(build.getInputStream(), StandardCharsets.UTF_8));
            String line = within(CompletableFuture.supplyAsync(() -> readLine(out)), BUILD_DEADLINE, lang + " build");
            boolean exited = waitFor(build, Duration.ofSeconds(10));
            if (!exited || build.exitValue() != 0 || line == null) {
                build.destroyForcibly();
                throw new IOException("interop/build.sh " + lang + " failed (exit " + (exited ? build.exitValue() : "none")
                        + "): " + tail(log));
            }
            return Path.of(line.trim());
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /**
     * Runs {@code bench-dial} against {@code target} and returns its JSON line.
     *
     * @param target the listener to dial ({@code /p2p/} included)
     * @param deadline how long the whole run may take
     * @param args {@code --what ...} and the rest of bench-dial's options
     * @return the result line; {@code ok} false carries {@code error}
     * @throws IOException if the process cannot run, overruns the deadline, or prints no JSON
     */
    JsonNode dial(Multiaddr target, Duration deadline, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(executable.toString(), "bench-dial", target.toString()));
        command.addAll(List.of(args));
        Process dialer = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(dialer.getInputStream(), StandardCharsets.UTF_8));
            String line = within(CompletableFuture.supplyAsync(() -> readLine(out)), deadline, lang + " bench-dial");
            if (line == null) {
                throw new IOException(lang + " bench-dial printed nothing (exit " + dialer.waitFor() + ")");
            }
            return JSON.readTree(line);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            waitFor(dialer, Duration.ofSeconds(5));
            dialer.destroyForcibly();
        }
    }

    /** @return {@code go}, {@code rust} or {@code js} */
    String lang() {
        return lang;
    }

    /** @return the benchmark listener's address, {@code /p2p/<id>} included */
    Multiaddr address() {
        return address;
    }

    /** Closes the listener's stdin (its signal to exit) and kills it if it is still there after 5 s. */
    @Override
    public void close() {
        try {
            listener.getOutputStream().close();
        } catch (IOException e) {
            // Already gone: the kill below is then a no-op.
        }
        waitFor(listener, Duration.ofSeconds(5));
        listener.destroyForcibly();
    }

    private static String readLine(BufferedReader reader) {
        try {
            return reader.readLine();
        } catch (IOException e) {
            return null;
        }
    }

    private static <T> T within(CompletableFuture<T> future, Duration deadline, String what) throws IOException {
        try {
            return future.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException(what + " did not answer within " + deadline, e);
        } catch (ExecutionException e) {
            throw new IOException(what + " failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for " + what, e);
        }
    }

    private static boolean waitFor(Process process, Duration deadline) {
        try {
            return process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no build log: " + e.getMessage() + ")";
        }
    }
}
