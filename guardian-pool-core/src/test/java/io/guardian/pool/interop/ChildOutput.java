package io.guardian.pool.interop;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Plumbing shared by the interop harness: threads that drain a child's stdout and stderr so the
 * child never blocks on a full pipe, bounded line reading, a bounded stderr tail, and killing a
 * child with its descendants. Not API: test harness only.
 */
final class ChildOutput {

    /** Most stderr kept per child: enough for a stack trace or a build error, never unbounded. */
    static final int TAIL_CHARS = 64 * 1024;

    private ChildOutput() {
    }

    /**
     * Starts a daemon thread that hands every line of {@code in} to {@code sink} until EOF. A
     * line longer than {@link FlatJson#MAX_LENGTH} is cut there and the rest of it skipped.
     */
    static Thread drainLines(InputStream in, String name, Consumer<String> sink, Runnable atEnd) {
        Thread t = new Thread(() -> {
            try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                StringBuilder line = new StringBuilder();
                boolean overlong = false;
                char[] buf = new char[8192];
                int n;
                while ((n = r.read(buf)) != -1) {
                    for (int i = 0; i < n; i++) {
                        char c = buf[i];
                        if (c == '\n') {
                            sink.accept(line.toString());
                            line.setLength(0);
                            overlong = false;
                        } else if (line.length() < FlatJson.MAX_LENGTH) {
                            line.append(c);
                        } else if (!overlong) {
                            overlong = true;
                        }
                    }
                }
                if (line.length() > 0) {
                    sink.accept(line.toString());
                }
            } catch (IOException e) {
                // The child went away with its pipe: what was read so far is all there is.
            } finally {
                atEnd.run();
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** A bounded, thread-safe record of the last {@link #TAIL_CHARS} characters of a stream. */
    static final class Tail {
        private final StringBuilder text = new StringBuilder();

        /** Starts draining {@code in} into this tail. */
        Thread drain(InputStream in, String name) {
            return drainLines(in, name, this::append, () -> { });
        }

        synchronized void append(String line) {
            text.append(line).append('\n');
            if (text.length() > TAIL_CHARS) {
                text.delete(0, text.length() - TAIL_CHARS);
            }
        }

        @Override
        public synchronized String toString() {
            return text.toString();
        }
    }

    /** Kills a child and everything it started, waiting at most {@code grace} for each step. */
    static void killTree(Process process, Duration grace) {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        if (!waitFor(process, grace)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            waitFor(process, grace);
        }
    }

    /** Waits for a child to exit; restores the interrupt flag rather than swallowing it. */
    static boolean waitFor(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    /** Joins a drain thread, bounded: a thread stuck on an inherited pipe must not hang a test. */
    static void join(Thread t, Duration timeout) {
        try {
            t.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
