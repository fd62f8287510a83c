package io.guardian.pool.benchmarks.versus;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of this JVM's JIT compiler threads, from Linux's {@code /proc/self/task/<tid>/stat}
 * (the JVM names them {@code C1 CompilerThreadN} and {@code C2 CompilerThreadN}, which the kernel
 * cuts to 15 characters). A short run's CPU per operation counts the JIT compiling the code under
 * test; leaving these threads out shows what the operation itself costs once compiled. Not API.
 */
final class JitCpu {

    /** Clock ticks per second of {@code /proc}'s utime and stime: USER_HZ, 100 on Linux. */
    private static final long TICK_NANOS = 10_000_000L;

    private JitCpu() {
    }

    /**
     * @return user + system CPU of the compiler threads alive now, in nanoseconds (10 ms
     *     resolution per thread), or -1 where {@code /proc} cannot be read (not Linux)
     */
    static long nanos() {
        long ticks = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException e) {
                    continue; // the thread ended between the listing and the read
                }
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                if (open < 0 || close < open || !isCompiler(stat.substring(open + 1, close))) {
                    continue;
                }
                // After "(comm) ": state is field 3; utime and stime are fields 14 and 15.
                String[] fields = stat.substring(close + 2).split(" ");
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return ticks * TICK_NANOS;
    }

    private static boolean isCompiler(String comm) {
        return comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre");
    }
}
