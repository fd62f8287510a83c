#!/usr/bin/env bash
# Cross-checks the reference peers among themselves: for every listener and dialer language given,
# starts `listen`, runs `dial` against it (all default steps, then the extra reset and close-conn
# steps), prints one line per pair and exits non-zero if any pair failed.
# Usage: interop/crosscheck.sh [langs...]   (default: go rust js)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
langs=("$@")
((${#langs[@]})) || langs=(go rust js)
declare -A exe
for l in "${langs[@]}"; do
  exe[$l]="$("$here/build.sh" "$l")" || { echo "build of $l failed" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0
for listener in "${langs[@]}"; do
  for dialer in "${langs[@]}"; do
    out="$work/$listener-$dialer"
    # stdin from a fifo held open by a sleeper: closing it (killing the sleeper) stops the listener.
    mkfifo "$out.in"
    sleep 600 >"$out.in" &
    holder=$!
    "${exe[$listener]}" listen <"$out.in" >"$out.listen" 2>"$out.listen.err" &
    lpid=$!
    for _ in $(seq 1 200); do [[ -s "$out.listen" ]] && break; sleep 0.05; done
    first="$(head -1 "$out.listen")"
    peer="$(sed -E 's/.*"peerId":"([^"]+)".*/\1/' <<<"$first")"
    addr="$(sed -E 's/.*"addrs":\["([^"]+)".*/\1/' <<<"$first")"
    start=$(date +%s%N)
    timeout 120 "${exe[$dialer]}" dial "$addr/p2p/$peer" >"$out.dial" 2>"$out.dial.err"
    rc=$?
    if [[ $rc -eq 0 ]]; then
      timeout 120 "${exe[$dialer]}" dial "$addr/p2p/$peer" --steps reset,close-conn >>"$out.dial" 2>>"$out.dial.err"
      rc=$?
    fi
    took=$(( ($(date +%s%N) - start) / 1000000 ))
    kill "$holder" 2>/dev/null; wait "$lpid" 2>/dev/null
    if [[ $rc -eq 0 ]]; then verdict=PASS; else verdict=FAIL; failed=1; fi
    printf '%-4s listen <- %-4s dial: %s (%d ms)\n' "$listener" "$dialer" "$verdict" "$took"
    if [[ $rc -ne 0 ]]; then sed 's/^/    /' "$out.dial" "$out.dial.err" | grep -v '"ok":true' | head -20; fi
  done
done
exit $failed
