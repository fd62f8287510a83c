package io.guardian.pool.interop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs {@code interop/build.sh} to get a reference peer's executable, once per language and JVM.
 * The script itself caches builds outside the clone, so later JVMs get the path at once. Not
 * API: test harness only.
 */
final class InteropBuild {

    /**
     * Deadline for one build. A cold rust-libp2p build measured 194 s on 2 busy cores; this
     * leaves room for a slower machine without letting a wedged build hang the suite.
     */
    static final Duration BUILD_TIMEOUT = Duration.ofMinutes(20);

    private static final int EXIT_TOOLCHAIN_MISSING = 3;
    private static final Map<Lang, Path> EXECUTABLES = new ConcurrentHashMap<>();

    private InteropBuild() {
    }

    /**
     * The {@code interop} folder at the repository root. Tests run with the core module as their
     * working directory, so it is {@code ../interop}.
     */
    static Path interopDir() {
        Path dir = Path.of("..", "interop").toAbsolutePath().normalize();
        if (!Files.isRegularFile(dir.resolve("build.sh"))) {
            throw new IllegalStateException("No interop/build.sh at " + dir
                    + ": the interop tests must run with guardian-pool-core as working directory");
        }
        return dir;
    }

    /**
     * @return the absolute path of the peer's executable, building it first if needed
     * @throws InteropToolchainMissingException when the language's toolchain is missing
     * @throws IllegalStateException when the build fails or outlasts {@link #BUILD_TIMEOUT}
     */
    static Path executable(Lang lang) {
        // Not computeIfAbsent: a build takes minutes and must not hold the map's bin lock.
        Path known = EXECUTABLES.get(lang);
        if (known != null) {
            return known;
        }
        Path built = build(lang, Map.of());
        EXECUTABLES.put(lang, built);
        return built;
    }

    /**
     * Runs build.sh for {@code lang}, uncached, with {@code environment} laid over this JVM's
     * (tests use it to hide a toolchain from the script).
     */
    static Path build(Lang lang, Map<String, String> environment) {
        Path dir = interopDir();
        ProcessBuilder pb = new ProcessBuilder("bash", dir.resolve("build.sh").toString(), lang.id())
                .directory(dir.toFile());
        pb.environment().putAll(environment);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("Could not run interop/build.sh " + lang.id() + ": " + e.getMessage(), e);
        }
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // Nothing was to be written: a failure to close an unused pipe changes nothing.
        }
        StringBuilder stdout = new StringBuilder();
        Thread out = ChildOutput.drainLines(process.getInputStream(), "interop-build-" + lang.id() + "-out",
                line -> {
                    synchronized (stdout) {
                        if (stdout.length() < ChildOutput.TAIL_CHARS) {
                            stdout.append(line).append('\n');
                        }
                    }
                }, () -> { });
        ChildOutput.Tail stderr = new ChildOutput.Tail();
        Thread err = stderr.drain(process.getErrorStream(), "interop-build-" + lang.id() + "-err");
        if (!ChildOutput.waitFor(process, BUILD_TIMEOUT)) {
            ChildOutput.killTree(process, Duration.ofSeconds(5));
            throw new IllegalStateException("interop/build.sh " + lang.id() + " did not finish within "
                    + BUILD_TIMEOUT + "; its stderr:\n" + stderr);
        }
        ChildOutput.join(out, Duration.ofSeconds(5));
        ChildOutput.join(err, Duration.ofSeconds(5));
        int code = process.exitValue();
        if (code == EXIT_TOOLCHAIN_MISSING) {
            throw new InteropToolchainMissingException(stderr.toString().strip());
        }
        String path;
        synchronized (stdout) {
            path = stdout.toString().strip();
        }
        if (code != 0 || path.isEmpty() || path.contains("\n")) {
            throw new IllegalStateException("interop/build.sh " + lang.id() + " failed (exit " + code
                    + "); stdout:\n" + path + "\nstderr:\n" + stderr);
        }
        Path exe = Path.of(path);
        if (!exe.isAbsolute() || !Files.isExecutable(exe)) {
            throw new IllegalStateException("interop/build.sh " + lang.id() + " printed " + path
                    + ", which is not an absolute path to an executable");
        }
        return exe;
    }
}
