package io.guardian.pool.interop;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What one {@code dial} run of a reference peer printed: its step lines in order, its exit code
 * and its stderr. Not API: test harness only.
 *
 * @param lang the implementation that dialed
 * @param exitCode the process's exit code, -1 when it was killed at the deadline
 * @param timedOut whether the deadline killed it
 * @param lines every stdout line, parsed ({@code {"event":"unparsable"}} for non-JSON ones)
 * @param stderr the last characters of its stderr
 */
public record DialResult(Lang lang, int exitCode, boolean timedOut, List<Map<String, Object>> lines, String stderr) {

    /** @return the lines of one step, e.g. the three of {@code "ping"} */
    public List<Map<String, Object>> steps(String name) {
        return lines.stream().filter(l -> name.equals(l.get("step"))).collect(Collectors.toUnmodifiableList());
    }

    /** @return the final {@code "done"} line, absent if the peer died or was killed first */
    public Optional<Map<String, Object>> done() {
        return lines.stream().filter(l -> "done".equals(l.get("step"))).reduce((a, b) -> b);
    }

    /** @return true iff the run finished in time, exited 0 and reported done with ok=true */
    public boolean ok() {
        return !timedOut && exitCode == 0 && done().map(d -> Boolean.TRUE.equals(d.get("ok"))).orElse(false);
    }

    /** @return the step lines whose ok is not true, for assertion messages */
    public List<Map<String, Object>> failures() {
        return lines.stream().filter(l -> l.containsKey("step") && !Boolean.TRUE.equals(l.get("ok")))
                .collect(Collectors.toUnmodifiableList());
    }

    @Override
    public String toString() {
        return lang.id() + " dial: exit " + exitCode + (timedOut ? " (killed at the deadline)" : "")
                + ", lines " + lines + (stderr.isBlank() ? "" : ", stderr:\n" + stderr);
    }
}
