#!/usr/bin/env bash
# Builds (or reuses) one reference libp2p peer and prints ONE line on stdout: the absolute path of
# an executable that takes the peers' command-line contract (README.md beside this file).
#
#   interop/build.sh <go|rust|js>
#
# Builds live outside the clone, keyed by a hash of the peer's sources and lockfile (and of this
# script), so a second run is instant and any change rebuilds:
#   ${GUARDIAN_INTEROP_CACHE:-$HOME/.cache/guardian-pool/interop}/<lang>-<hash>/
# Builds are reproducible from the lockfiles: go build -mod=readonly, cargo build --locked, npm ci.
# Exit codes: 0 built or reused, 2 usage, 3 a toolchain is missing or too old (message on stderr),
# anything else: the build failed (its output is on stderr).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
lang="${1:-}"
cache="${GUARDIAN_INTEROP_CACHE:-$HOME/.cache/guardian-pool/interop}"

missing() {
  echo "build.sh: $1" >&2
  exit 3
}

# version_at_least HAVE NEED: true when dotted version HAVE >= NEED.
version_at_least() {
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" == "$2" ]]
}

case "$lang" in
  go)
    src="$here/go"
    files=(go.mod go.sum $(cd "$src" && ls ./*.go))
    need_go="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$src/go.mod")"
    command -v go >/dev/null 2>&1 \
      || missing "the Go toolchain (go) is not on PATH; the go peer needs Go >= $need_go (Debian: apt-get install golang, if its version is new enough; otherwise the go.dev release)"
    have_go="$(go env GOVERSION | sed 's/^go//')"
    version_at_least "$have_go" "$need_go" \
      || missing "Go $have_go is too old: go-libp2p needs Go >= $need_go (Debian: apt-get install golang, if its version is new enough; otherwise the go.dev release)"
    ;;
  rust)
    src="$here/rust"
    files=(Cargo.toml Cargo.lock $(cd "$src" && find src -type f -name '*.rs' | sort))
    need_rust=1.88
    command -v cargo >/dev/null 2>&1 \
      || missing "the Rust toolchain (cargo) is not on PATH; the rust peer needs Rust >= $need_rust (Debian: apt-get install cargo rustc, if new enough; otherwise rustup)"
    have_rust="$(rustc --version | awk '{print $2}')"
    version_at_least "$have_rust" "$need_rust" \
      || missing "Rust $have_rust is too old: rust-libp2p needs Rust >= $need_rust (Debian: apt-get install cargo rustc, if new enough; otherwise rustup)"
    ;;
  js)
    src="$here/js"
    files=(package.json package-lock.json $(cd "$src" && ls ./*.mjs))
    command -v node >/dev/null 2>&1 \
      || missing "Node.js (node) is not on PATH; the js peer needs Node >= 20 (Debian: apt-get install nodejs npm)"
    command -v npm >/dev/null 2>&1 \
      || missing "npm is not on PATH; the js peer installs js-libp2p with npm ci (Debian: apt-get install npm)"
    have_node="$(node --version | sed 's/^v//')"
    version_at_least "$have_node" 20 \
      || missing "Node $have_node is too old: the js peer needs Node >= 20 (Debian: apt-get install nodejs npm)"
    ;;
  *)
    echo "usage: $0 <go|rust|js>" >&2
    exit 2
    ;;
esac

hash="$( (cd "$src" && sha256sum "${files[@]}"; sha256sum < "$here/build.sh") | sha256sum | cut -c1-16)"
out="$cache/$lang-$hash"
exe="$out/guardian-interop-$lang"
if [[ -x "$exe" && -f "$out/.complete" ]]; then
  echo "$exe"
  exit 0
fi

mkdir -p "$cache"
# One build per language at a time: parallel test JVMs may ask for the same peer together.
exec 9>"$cache/.lock-$lang"
flock 9
if [[ -x "$exe" && -f "$out/.complete" ]]; then
  echo "$exe"
  exit 0
fi

tmp="$out.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
echo "build.sh: building the $lang peer into $out" >&2
case "$lang" in
  go)
    # Module and build caches stay in Go's default (home) locations.
    (cd "$src" && go build -mod=readonly -trimpath -o "$tmp/guardian-interop-go" .) >&2
    ;;
  rust)
    # One target dir for every hash, so a source change recompiles only this crate, not libp2p.
    (cd "$src" && CARGO_TARGET_DIR="$cache/rust-target" cargo build --locked --release --quiet) >&2
    cp "$cache/rust-target/release/guardian-interop-rust" "$tmp/"
    ;;
  js)
    mkdir -p "$tmp/app"
    (cd "$src" && cp "${files[@]}" "$tmp/app/")
    (cd "$tmp/app" && npm ci --no-audit --no-fund --loglevel=error) >&2
    # The launcher points into the final directory, which $tmp becomes below.
    cat > "$tmp/guardian-interop-js" <<EOF
#!/bin/sh
exec node --import "$out/app/shim.mjs" "$out/app/peer.mjs" "\$@"
EOF
    chmod +x "$tmp/guardian-interop-js"
    ;;
esac
touch "$tmp/.complete"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "build.sh: $lang peer built in $(( $(date +%s) - start )) s" >&2
echo "$exe"
