#!/usr/bin/env bash
# Builds the benchmark jar, runs the three suites and prints one results table with ratios.
#
#   guardian-pool-benchmarks/run.sh [quick|full]
#
# quick: one fork, 1 s warm-up, 3×1 s measured (scale: 2 s, 3×2 s); about 5 minutes of that is
#        fixed measuring time, the rest JVM start-up and filling the pool with 10,000 handshakes
#        (three times: walk, hot peer and health pass each need their own fork); 8.5 minutes in
#        all on this 2-core machine before suite 4, which adds about 2 (14.5 minutes in all with
#        the machine loaded at 7 to 17, 2026-12-03), plus the build when the jar is not built yet.
# full:  two forks, longer iterations: several times as long (not timed yet), tighter error bars.
# Suite 4 (4-libp2p-versus) runs our libp2p path beside go-, rust- and js-libp2p (interop/, built
# or reused through interop/build.sh; a missing toolchain leaves that implementation's rows "not
# measured"): a plain timed driver, about 2.5 minutes in quick, three times the counts in full.
# Suite 2-beside-cpu-hogs repeats suite 2's pooled request and floor with one `yes > /dev/null`
# per CPU running (started and stopped by this script, also on failure or Ctrl-C): about a minute.
# GUARDIAN_BENCH_PEERS overrides the scale suite's peer count (default 10000; the scale suite
# measures fewer, and says so, when the open-files limit cannot hold that many).
# GUARDIAN_BENCH_SUITES runs only the named suites (names as below, separated by spaces or commas,
# e.g. "3-scale-acquire 3-scale-floor"); the table then marks the targets it lacks "not measured".
#
# Results land in guardian-pool-benchmarks/target/jmh-<profile>/: JMH JSON files per suite
# (*.json), the scale forks' heap-<method>.json and health-cpu-<peers>.json, the JMH console
# logs (*.log), load samples and summary.md, which is what this script prints at the end.
set -euo pipefail

profile="${1:-quick}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
peers="${GUARDIAN_BENCH_PEERS:-10000}"

case "$profile" in
  quick)
    # One warm-up second is enough for C2 on these small loops; three measured seconds give the
    # table a best iteration that a burst of a neighbour's load is less likely to have hit.
    jmh_opts=(-f 1 -wi 1 -w 1s -i 3 -r 1s)
    scale_opts=(-f 1 -wi 1 -w 2s -i 3 -r 2s)
    ;;
  full)
    jmh_opts=(-f 2 -wi 5 -w 2s -i 5 -r 2s)
    scale_opts=(-f 2 -wi 3 -w 3s -i 5 -r 3s)
    ;;
  *)
    echo "usage: $0 [quick|full]   (got '$profile')" >&2
    exit 2
    ;;
esac

suites="1-acquire-guardian 1-acquire-others-1-key 1-acquire-others-1000-keys 2-end-to-end 2-beside-cpu-hogs 3-scale-acquire 3-scale-floor 3-scale-health 4-libp2p-versus 4-libp2p-scale-acquire 4-libp2p-scale-health"
requested="${GUARDIAN_BENCH_SUITES:-}"
requested="${requested//,/ }"
for name in $requested; do
  if [[ " $suites " != *" $name "* ]]; then
    echo "GUARDIAN_BENCH_SUITES names '$name', which is not a suite; the suites are: $suites" >&2
    exit 2
  fi
done

out="$here/target/jmh-$profile"
rm -rf "$out"
mkdir -p "$out"

# The scale suite opens one socket per peer in the pool's JVM and two per peer (listening and
# accepted) in the listener JVMs. Raise the soft limit to the hard one; the benchmark itself
# sizes the peer count and the number of listener JVMs to the limit it finds.
soft_before="$(ulimit -Sn)"
hard="$(ulimit -Hn)"
if [ "$hard" != unlimited ] && [ "$soft_before" != "$hard" ]; then
  ulimit -Sn "$hard"
fi

# The pool's JVM holds one socket per peer; keep the JVM's own reserve (FileLimits.RESERVE) free.
fit=$(( $(ulimit -Sn) - 512 ))
if [ "$peers" -gt "$fit" ]; then
  echo "scale suite: the open-files limit $(ulimit -Sn) holds $fit pooled connections, not $peers; measuring $fit"
  peers=$fit
fi

{
  echo "- profile: $profile ($0 $profile)"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- cpus: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "- memory: $(free -h | awk '/^Mem:/ {print $2 " total, " $7 " available"}')"
  echo "- JDK: $("$java" -XshowSettings:properties -version 2>&1 | grep -E 'java\.(vm\.name|runtime\.version) ' | sed 's/^ *//' | tr '\n' ' ')"
  echo "- open files: soft $soft_before raised to $(ulimit -Sn), hard $hard; scale suite at $peers peers"

  echo "- load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$out/machine.md"

# Sample the load average while the suites run: other engineers share this machine, and a busy
# neighbour shows up here before it shows up as a mysterious score.
(
  while :; do
    echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)"
    sleep 15
  done
) > "$out/loadavg.txt" &
sampler=$!
# CPU hogs of suite 2-beside-cpu-hogs; stopped when it ends, and on any exit (failure, Ctrl-C).
hog_pids=()
stop_hogs() {
  if [ "${#hog_pids[@]}" -gt 0 ]; then
    kill "${hog_pids[@]}" 2>/dev/null || true
    wait "${hog_pids[@]}" 2>/dev/null || true
    hog_pids=()
  fi
}
trap 'kill "$sampler" 2>/dev/null || true; stop_hogs' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$SECONDS
echo "building the benchmark jar ..."
(cd "$root" && ./mvnw -q -B -pl guardian-pool-benchmarks -am package -DskipTests)
jar="$here/target/benchmarks.jar"
echo "build: $(( SECONDS - started )) s" > "$out/suite-times.txt"

# Whether suite $1 runs in this invocation (says why not when it does not).
wanted() {
  local name="$1"
  if [ -n "$requested" ] && [[ " $requested " != *" $name "* ]]; then
    echo "suite $name: skipped (not in GUARDIAN_BENCH_SUITES)"
    return 1
  fi
}

suite() {
  local name="$1"; shift
  wanted "$name" || return 0
  echo "suite $name: running (log: $out/$name.log) ..."
  local suite_started=$SECONDS
  local command=("$java" -jar "$jar" "$@" -rf json -rff "$out/$name.json")
  if [ "$1" = --main ]; then
    # A plain driver, not JMH: it writes its own JSON into $out.
    command=("$java" -Xms1g -Xmx1g -cp "$jar" "${@:2}")
  fi
  "${command[@]}" > "$out/$name.log" 2>&1 || {
    echo "suite $name failed; last lines of its log:" >&2
    tail -40 "$out/$name.log" >&2
    exit 1
  }
  # Wall time per suite, so the cost of each suite in the quick profile's 10 minutes is on record.
  echo "$name: $(( SECONDS - suite_started )) s" >> "$out/suite-times.txt"
}

suite 1-acquire-guardian 'io.guardian.pool.benchmarks.acquire.GuardianAcquireBenchmark' "${jmh_opts[@]}" -prof gc
# reuseCapacityOnReturn matters only with many keys, so its "false" variant runs at 1,000 keys only.
suite 1-acquire-others-1-key 'io.guardian.pool.benchmarks.acquire.ComparisonPoolsBenchmark' "${jmh_opts[@]}" -prof gc \
  -p keys=1 -p pool=commons-pool2,httpcore5-strict,httpcore5-lax,httpcore5-segmented
suite 1-acquire-others-1000-keys 'io.guardian.pool.benchmarks.acquire.ComparisonPoolsBenchmark' "${jmh_opts[@]}" \
  -prof gc -p keys=1000
suite 2-end-to-end 'io.guardian.pool.benchmarks.endtoend.' "${jmh_opts[@]}" -prof gc
# Suite 2 beside CPU hogs (issue 17 item 5: the pooled request within 1.5x the floor with the
# machine loaded). One `yes > /dev/null` per CPU, at default priority, runs for exactly this JMH
# invocation: the pooled request (listener's default handler pool, and its handler inline) and the
# floor, so the ratio is from one run. One more warm-up iteration than quick's other suites: the
# JIT compiles more slowly beside the hogs. About 1 minute. Its files go to cpu-hogs/, apart from
# suite 2's quiet results with the same benchmark names (report.CpuHogRows reads them).
if wanted 2-beside-cpu-hogs; then
  hogs="$(nproc)"
  hog_dir="$out/cpu-hogs"
  mkdir -p "$hog_dir"
  hog_load_before="$(cut -d' ' -f1 /proc/loadavg)"
  for _ in $(seq 1 "$hogs"); do
    yes > /dev/null &
    hog_pids+=($!)
  done
  hog_opts=("${jmh_opts[@]}")
  if [ "$profile" = quick ]; then
    hog_opts=(-f 1 -wi 2 -w 1s -i 3 -r 1s)
  fi
  suite 2-beside-cpu-hogs \
    'io.guardian.pool.benchmarks.endtoend.(GuardianRequestBenchmark.pooledRequest(InlineHandler)?|SocketFloorBenchmark.bareSocketRoundTrip)$' \
    "${hog_opts[@]}"
  hog_load_after="$(cut -d' ' -f1 /proc/loadavg)"
  stop_hogs
  if [ -f "$out/2-beside-cpu-hogs.json" ]; then
    mv "$out/2-beside-cpu-hogs.json" "$hog_dir/results.json"
    printf '{"hogs": %d, "command": "yes > /dev/null", "loadBefore": "%s", "loadAfter": "%s"}\n' \
      "$hogs" "$hog_load_before" "$hog_load_after" > "$hog_dir/hogs.json"
  fi
fi
# The scale forks measure heap per idle connection while they fill the pool (heap-<method>.json)
# and the health pass fork its CPU per pass (health-cpu-<peers>.json). Acquire runs at 1 peer too,
# for the ratio; the health pass only at the large count. acquireRelease walks all peers (the
# target's row); acquireReleaseHotPeer uses one peer while the pool holds all of them.
scale_jvm="-Xms2g -Xmx2g -Dguardian.bench.resultsDir=$out"
suite 3-scale-acquire 'io.guardian.pool.benchmarks.scale.ScaleBenchmark.acquireRelease(HotPeer)?$' \
  "${scale_opts[@]}" -prof gc -p "peers=1,$peers" -jvmArgsAppend "$scale_jvm"
# The same walk with no sockets, at 1 key and at the scale suite's count: a ConcurrentHashMap
# keyed by PeerId (the memory floor of any keyed pool), the pool's chain of loads behind it
# (compact, spread over a pooled connection's heap footprint, and spread and walked under the
# slot's monitor with a new lease per step, as the engine does; see SCALE-NOTES.md) and suite
# 1's comparison pools. Small loops, so suite 1's short iterations suffice.
suite 3-scale-floor 'io.guardian.pool.benchmarks.scale.KeyedWalkFloorBenchmark' "${jmh_opts[@]}" -prof gc \
  -p "keys=1,$peers"
suite 3-scale-health 'io.guardian.pool.benchmarks.scale.ScaleBenchmark.healthCheckPass' "${scale_opts[@]}" -prof gc \
  -p "peers=$peers" -jvmArgsAppend "$scale_jvm"
# Suite 4: our libp2p path beside go-, rust- and js-libp2p and the JDK's crypto floor, one JVM
# invocation for every comparison (versus.json). The reference peers' first build takes minutes
# (rust-libp2p most); later runs reuse the cached builds.
suite 4-libp2p-versus --main io.guardian.pool.benchmarks.versus.Libp2pVersus "$out" "$root/interop" "$profile"
# Suite 4 at scale (issue 17 item 4): suite 3's forks on the libp2p transport, one idle Noise +
# yamux connection per peer; an acquire opens a stream, the health pass is a yamux Ping each.
suite 4-libp2p-scale-acquire 'io.guardian.pool.benchmarks.scale.ScaleBenchmark.acquireRelease$' \
  "${scale_opts[@]}" -prof gc -p "peers=1,$peers" -p transport=LIBP2P -jvmArgsAppend "$scale_jvm"
suite 4-libp2p-scale-health 'io.guardian.pool.benchmarks.scale.ScaleBenchmark.healthCheckPass' "${scale_opts[@]}" \
  -prof gc -p "peers=$peers" -p transport=LIBP2P -jvmArgsAppend "$scale_jvm"

kill "$sampler" 2>/dev/null || true
"$java" -cp "$jar" io.guardian.pool.benchmarks.report.ResultsTable "$out" "$out/table.md"

{
  echo "## Guardian Pool benchmarks ($profile, $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s)"
  echo
  cat "$out/machine.md"
  echo "- wall time per step: $(paste -sd ';' "$out/suite-times.txt" | sed 's/;/, /g')"
  echo "- load average during the run (1/5/15 min, sampled every 15 s): lowest 1-min $(sort -k2 -n "$out/loadavg.txt" | head -1 | cut -d' ' -f2), highest $(sort -k2 -n "$out/loadavg.txt" | tail -1 | cut -d' ' -f2), last $(tail -1 "$out/loadavg.txt" | cut -d' ' -f2-)"
  echo
  cat "$out/table.md"
} > "$out/summary.md"
cat "$out/summary.md"
