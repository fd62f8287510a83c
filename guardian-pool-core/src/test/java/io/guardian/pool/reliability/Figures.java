package io.guardian.pool.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The measured figures of one reliability test, in insertion order, written to
 * {@code target/reliability/<name>.json} and {@code .txt}: the JSON for tools, the text for
 * people. Values are numbers, strings, booleans, durations (written in milliseconds), nested
 * {@link Figures} or maps, and lists of those.
 */
final class Figures {

    private final Map<String, Object> values = new LinkedHashMap<>();

    /** Adds or replaces one figure. */
    Figures put(String key, Object value) {
        values.put(key, value);
        return this;
    }

    /** A nested group of figures, created on first use. */
    Figures section(String key) {
        return (Figures) values.computeIfAbsent(key, k -> new Figures());
    }

    /** What every figures file starts with: when, how big, which seed, which machine. */
    static Figures forRun(Class<?> test, Size size) {
        Runtime rt = Runtime.getRuntime();
        Figures f = new Figures();
        f.put("test", test.getSimpleName());
        f.put("size", size.name().toLowerCase(java.util.Locale.ROOT));
        f.put("seed", Size.SEED);
        f.put("command", size.command(test));
        f.put("startedAt", Instant.now().toString());
        Figures machine = f.section("machine");
        machine.put("cpus", rt.availableProcessors());
        machine.put("maxHeapMiB", rt.maxMemory() >> 20);
        machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        machine.put("loadAverageAtStart", java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage());
        return f;
    }

    /**
     * A class's last step: records the Netty leak reports its watch collected, closes the watch,
     * writes the figures as {@link #write} does, and fails if any leak was reported.
     */
    void writeCheckingLeaks(String name, io.guardian.pool.internal.transport.LeakWatch leaks) {
        List<String> reports = leaks.collectLeaks();
        leaks.close();
        put("nettyLeakReports", reports.size());
        write(name);
        org.assertj.core.api.Assertions.assertThat(reports).as("Netty leak reports").isEmpty();
    }

    /** Writes {@code target/reliability/<name>.json} and {@code <name>.txt}. */
    void write(String name) {
        Path dir = Path.of("target", "reliability");
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name + ".json"), toJson() + "\n", StandardCharsets.UTF_8);
            Files.writeString(dir.resolve(name + ".txt"), toText(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write figures to " + dir.toAbsolutePath(), e);
        }
    }

    String toJson() {
        StringBuilder out = new StringBuilder();
        json(this, out, 0);
        return out.toString();
    }

    String toText() {
        StringBuilder out = new StringBuilder();
        text(values, out, "");
        return out.toString();
    }

    private static void text(Map<String, Object> map, StringBuilder out, String indent) {
        for (Map.Entry<String, Object> e : map.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Figures || v instanceof Map) {
                out.append(indent).append(e.getKey()).append(":\n");
                text(asMap(v), out, indent + "  ");
            } else {
                out.append(indent).append(e.getKey()).append(": ").append(plain(v)).append('\n');
            }
        }
    }

    private static String plain(Object v) {
        if (v instanceof Duration) {
            return millis((Duration) v) + " ms";
        }
        if (v instanceof Collection) {
            List<String> parts = new ArrayList<>();
            for (Object o : (Collection<?>) v) {
                parts.add(plain(o));
            }
            return parts.toString();
        }
        if (v instanceof Double) {
            return String.format(java.util.Locale.ROOT, "%.3f", (Double) v);
        }
        return String.valueOf(v);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object v) {
        if (v instanceof Figures) {
            return ((Figures) v).values;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        ((Map<Object, Object>) v).forEach((k, val) -> out.put(String.valueOf(k), val));
        return out;
    }

    private static void json(Object v, StringBuilder out, int depth) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof Figures || v instanceof Map) {
            Map<String, Object> map = asMap(v);
            out.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : map.entrySet()) {
                out.append(first ? "\n" : ",\n").append("  ".repeat(depth + 1));
                first = false;
                string(e.getKey(), out);
                out.append(": ");
                json(e.getValue(), out, depth + 1);
            }
            if (!first) {
                out.append('\n').append("  ".repeat(depth));
            }
            out.append('}');
        } else if (v instanceof Collection) {
            out.append('[');
            boolean first = true;
            for (Object o : (Collection<?>) v) {
                if (!first) {
                    out.append(", ");
                }
                first = false;
                json(o, out, depth + 1);
            }
            out.append(']');
        } else if (v instanceof Duration) {
            out.append(millis((Duration) v));
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            out.append(Double.isFinite(d) ? String.format(java.util.Locale.ROOT, "%.3f", d) : "null");
        } else if (v instanceof Number || v instanceof Boolean) {
            out.append(v);
        } else {
            string(String.valueOf(v), out);
        }
    }

    private static double millis(Duration d) {
        return Math.round(d.toNanos() / 1_000.0) / 1_000.0;
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                case '\t':
                    out.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    /** Nanoseconds as a duration, for figures measured with {@link System#nanoTime()}. */
    static Duration nanos(long nanos) {
        return Duration.ofNanos(nanos);
    }

    /** Milliseconds elapsed since {@code startNanos}. */
    static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
