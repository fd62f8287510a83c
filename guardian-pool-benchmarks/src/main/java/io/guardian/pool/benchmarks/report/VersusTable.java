package io.guardian.pool.benchmarks.report;

import static io.guardian.pool.benchmarks.report.ResultsTable.number;
import static io.guardian.pool.benchmarks.report.ResultsTable.times;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;

/**
 * Suite 4's rows and targets (issue 17), from the {@code versus.json} that
 * {@code io.guardian.pool.benchmarks.versus.Libp2pVersus} writes: our libp2p path beside go-, rust-
 * and js-libp2p and the crypto floor, all from one run. An implementation "dialing itself" is a
 * pair of its own dialer and listener, each in its own process; ours runs both in one JVM. The
 * targets compare such self pairs, and our dialer against a reference listener is shown beside the
 * reference's own dialer on the same listener. Not API.
 */
final class VersusTable {

    private static final String OURS = "guardian";
    private static final String LEASE = "guardian-libp2p-lease";
    private static final String REUSED_LEASE = "guardian-libp2p-lease-reused-stream";

    private final JsonNode versus;

    /** @param versus the parsed {@code versus.json}, or {@code null} when suite 4 did not run */
    VersusTable(JsonNode versus) {
        this.versus = versus;
    }

    /** @return table rows in {@link ResultsTable}'s columns; none without {@code versus.json} */
    List<String[]> rows() {
        List<String[]> rows = new ArrayList<>();
        if (versus == null) {
            return rows;
        }
        JsonNode crypto = versus.path("crypto");
        double side = crypto.path("handshakeSideUs").asDouble(Double.NaN);
        double ceiling = crypto.path("chachaPolyMBps").asDouble(Double.NaN);
        for (String[] impl : new String[][] {{"", "Bouncy Castle (what the stack runs), 1 thread"},
                {"jdk", "JDK providers (before), 1 thread"}}) {
            String p = impl[0];
            rows.add(row("4 libp2p crypto floor", "X25519 key generation / DH", impl[1],
                    number(crypto.path(key(p, "x25519GenerateUs")).asDouble(Double.NaN)) + " / "
                            + number(crypto.path(key(p, "x25519DhUs")).asDouble(Double.NaN)), "µs", ""));
            rows.add(row("4 libp2p crypto floor", "Ed25519 sign / verify", impl[1],
                    number(crypto.path(key(p, "signUs")).asDouble(Double.NaN)) + " / "
                            + number(crypto.path(key(p, "verifyUs")).asDouble(Double.NaN)), "µs", ""));
            rows.add(row("4 libp2p crypto floor", "one Noise XX side: keygen + 3 DH + verify", impl[1],
                    number(crypto.path(key(p, "handshakeSideUs")).asDouble(Double.NaN)), "µs", ""));
        }
        rows.add(row("4 libp2p crypto floor", "ChaCha20-Poly1305 ceiling, one pass on one core",
                "65,519-byte messages", number(ceiling), "MB/s", ""));
        for (JsonNode line : versus.path("handshake")) {
            String dialer = line.path("dialer").asString();
            String listener = line.path("listener").asString();
            int c = line.path("concurrency").asInt();
            double rate = line.path("handshakesPerSec").asDouble(Double.NaN);
            String ratio = dialer.equals(listener) ? "" : find("handshake", listener, listener, c)
                    .map(self -> times(rate / self.path("handshakesPerSec").asDouble()) + " " + listener + "'s own dialer")
                    .orElse("");
            rows.add(row("4 libp2p handshake", pair(dialer, listener), c + " at a time, dial+Noise+yamux+identify",
                    number(rate), "handshakes/s", ratio));
            double cpu = line.path("cpuUsPerOp").asDouble(Double.NaN);
            double floor = dialer.equals(OURS) && listener.equals(OURS) ? 2 * side : side;
            String ofCrypto = (floor == side ? " one side's" : " both sides'") + " crypto";
            rows.add(row("4 libp2p handshake", "CPU per handshake, " + cpuWho(dialer, listener), c + " at a time",
                    number(cpu), "µs", times(cpu / floor) + ofCrypto));
            double withoutJit = line.path("cpuUsPerOpWithoutJit").asDouble(Double.NaN);
            if (!Double.isNaN(withoutJit)) {
                rows.add(row("4 libp2p handshake", "the same without the JIT's compiler threads, "
                        + cpuWho(dialer, listener), c + " at a time", number(withoutJit), "µs",
                        times(withoutJit / floor) + ofCrypto));
            }
        }
        double db = p50("guardian-db-pooled", "guardian-db-pooled");
        double bare = p50("bare-socket", "bare-socket");
        for (JsonNode line : versus.path("rr")) {
            String dialer = line.path("dialer").asString();
            String listener = line.path("listener").asString();
            double p50 = line.path("p50Us").asDouble(Double.NaN);
            String ratio = times(p50 / db) + " guardian-db pooled, " + times(p50 / bare) + " floor";
            rows.add(row("4 libp2p request/reply 64 B", rrLabel(dialer, listener), "1 at a time, p50 (mean "
                    + number(line.path("meanUs").asDouble(Double.NaN)) + ")", number(p50), "µs", ratio));
        }
        for (JsonNode line : versus.path("throughput")) {
            String dialer = line.path("dialer").asString();
            String listener = line.path("listener").asString();
            int streams = line.path("concurrency").asInt();
            double rate = line.path("mbPerSec").asDouble(Double.NaN);
            rows.add(row("4 libp2p throughput", pair(dialer, listener), streams + (streams == 1 ? " stream, " : " streams at once, ")
                    + line.path("size").asInt() / 1024 + " KiB uploads (perf)", number(rate), "MB/s",
                    times(rate / ceiling) + " crypto ceiling, CPU " + number(line.path("cpuUsPerMiB").asDouble(Double.NaN))
                            + " µs/MiB (" + (dialer.equals(OURS) && listener.equals(OURS) ? "both sides, one JVM"
                            : "dialer process") + ")"));
        }
        for (JsonNode gap : versus.path("missing")) {
            rows.add(row("4 libp2p", "not measured: " + gap.path("what").asString(), gap.path("error").asString()
                    .replace('|', '/').replace('\n', ' '), "", "", ""));
        }
        return rows;
    }

    /** @return the target lines ("- target: **met**, detail"), or nothing without {@code versus.json} */
    String targets() {
        if (versus == null) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        out.append("\nlibp2p side by side (suite 4, one run; self pairs: each implementation dialing its own listener):\n\n");
        double side = versus.path("crypto").path("handshakeSideUs").asDouble(Double.NaN);
        double ceiling = versus.path("crypto").path("chachaPolyMBps").asDouble(Double.NaN);
        for (int c : new int[] {1, 8}) {
            Optional<Double> ours = rate("handshake", OURS, c, "handshakesPerSec");
            ratio(out, "handshakes/s, " + c + " at a time: >= 2× js-libp2p's", ours,
                    rate("handshake", "js", c, "handshakesPerSec"), 2, true);
            ratio(out, "handshakes/s, " + c + " at a time: >= 0.8× go-libp2p's", ours,
                    rate("handshake", "go", c, "handshakesPerSec"), 0.8, true);
        }
        for (int c : new int[] {1, 8}) {
            Optional<Double> cpu = rate("handshake", OURS, c, "cpuUsPerOp");
            Optional<Double> compiled = rate("handshake", OURS, c, "cpuUsPerOpWithoutJit").filter(x -> !Double.isNaN(x));
            verdict(out, "CPU per handshake (both sides, one JVM, " + c + " at a time, the JIT's compiler threads left"
                    + " out) within 1.5× of both sides' crypto operations",
                    compiled.filter(x -> !Double.isNaN(side)).map(x -> new Verdict(x / (2 * side) <= 1.5,
                            times(x / (2 * side)) + " (" + number(x) + " µs vs 2 × " + number(side) + " µs; with the"
                            + " JIT's threads " + cpu.map(all -> number(all)).orElse("?") + " µs)")));
        }
        Optional<Double> lease = find("rr", LEASE, OURS, 1).map(l -> l.path("p50Us").asDouble());
        ratio(out, "libp2p lease request 64 B: p50 <= 1.5× our guardian-db pooled request", lease,
                Optional.of(p50("guardian-db-pooled", "guardian-db-pooled")).filter(x -> !Double.isNaN(x)), 1.5, false);
        ratio(out, "libp2p lease request 64 B, stream reused across leases (reusable-stream-protocols): p50 <= 1.5× "
                + "our guardian-db pooled request", find("rr", REUSED_LEASE, OURS, 1).map(l -> l.path("p50Us").asDouble()),
                Optional.of(p50("guardian-db-pooled", "guardian-db-pooled")).filter(x -> !Double.isNaN(x)), 1.5, false);
        ratio(out, "libp2p lease request 64 B: p50 <= 0.5× js-libp2p's own", lease,
                find("rr", "js", "js", 1).map(l -> l.path("p50Us").asDouble()), 0.5, false);
        ratio(out, "libp2p lease request 64 B: p50 <= go-libp2p's own", lease,
                find("rr", "go", "go", 1).map(l -> l.path("p50Us").asDouble()), 1, false);
        for (int streams : new int[] {1, 64}) {
            String where = streams == 1 ? "one stream" : streams + " streams";
            Optional<Double> ours = rate("throughput", OURS, streams, "mbPerSec");
            ratio(out, "throughput, " + where + ": >= 70% of the one-core ChaCha20-Poly1305 ceiling", ours,
                    Optional.of(ceiling).filter(x -> !Double.isNaN(x)), 0.7, true);
            ratio(out, "throughput, " + where + ": >= js-libp2p's", ours, rate("throughput", "js", streams, "mbPerSec"), 1, true);
            ratio(out, "throughput, " + where + ": >= 0.8× go-libp2p's", ours, rate("throughput", "go", streams, "mbPerSec"), 0.8, true);
        }
        return out.toString();
    }

    private Optional<Double> rate(String what, String self, int concurrency, String field) {
        return find(what, self, self, concurrency).map(l -> l.path(field).asDouble(Double.NaN)).filter(x -> !Double.isNaN(x));
    }

    private void ratio(StringBuilder out, String target, Optional<Double> ours, Optional<Double> theirs, double bound,
            boolean atLeast) {
        verdict(out, target, ours.flatMap(o -> theirs.map(t -> {
            double r = o / t;
            return new Verdict(atLeast ? r >= bound : r <= bound, times(r) + " (" + number(o) + " vs " + number(t) + ")");
        })));
    }

    private static void verdict(StringBuilder out, String target, Optional<Verdict> verdict) {
        out.append("- ").append(target).append(": ");
        if (verdict.isEmpty()) {
            out.append("**not measured** (a result it needs is missing from this run; see the not-measured rows)\n");
        } else {
            out.append(verdict.get().met() ? "**met**, " : "**missed**, ").append(verdict.get().detail()).append('\n');
        }
    }

    private Optional<JsonNode> find(String what, String dialer, String listener, int concurrency) {
        Predicate<JsonNode> match = l -> dialer.equals(l.path("dialer").asString())
                && listener.equals(l.path("listener").asString()) && l.path("concurrency").asInt() == concurrency;
        for (JsonNode line : versus.path(what)) {
            if (match.test(line)) {
                return Optional.of(line);
            }
        }
        return Optional.empty();
    }

    private double p50(String dialer, String listener) {
        return find("rr", dialer, listener, 1).map(l -> l.path("p50Us").asDouble(Double.NaN)).orElse(Double.NaN);
    }

    private static String pair(String dialer, String listener) {
        return (dialer.equals(OURS) ? "**guardian**" : dialer) + " dialer → " + (listener.equals(OURS) ? "**guardian**" : listener)
                + " listener";
    }

    private static String cpuWho(String dialer, String listener) {
        if (dialer.equals(OURS) && listener.equals(OURS)) {
            return "guardian → guardian, both sides (one JVM)";
        }
        return pair(dialer, listener) + ", dialer process only";
    }

    private static String rrLabel(String dialer, String listener) {
        return switch (dialer) {
            case LEASE -> "**guardian libp2p pool lease** (stream per lease, 0-RTT) → " + listener + " echo";
            case REUSED_LEASE -> "**guardian libp2p pool lease, stream reused across leases** (reusable-stream-protocols) → "
                    + listener + " echo";
            case "guardian-libp2p-stream-per-request" -> "our dialer, no pool: a new stream per request → " + listener + " echo";
            case "guardian-libp2p-one-stream" -> "our dialer, no pool: one stream, message after message → " + listener + " echo";
            case "guardian-db-pooled" -> "guardian-db pooled request (Transport.GUARDIAN)";
            case "bare-socket" -> "bare JDK socket (floor)";
            default -> dialer + " stream per request → " + listener + " echo";
        };
    }

    private static String[] row(String suite, String subject, String setting, String value, String unit, String ratio) {
        return new String[] {suite, subject, setting, value, "", unit, "", ratio};
    }

    private record Verdict(boolean met, String detail) {
    }

    /** {@code x25519DhUs} with prefix {@code jdk} is {@code jdkX25519DhUs}. */
    private static String key(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }
}
