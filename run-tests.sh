#!/usr/bin/env bash
# Runs every test of the default build (./mvnw -B verify) after installing what the tests need
# beyond a JDK, on a Debian or Ubuntu machine:
#   chromium, chromium-driver  the sample app's dashboard test drives a real browser
#   prometheus                 promtool lints the sample app's Prometheus scrape and checks the alert
#                              rules; its server runs the Grafana dashboard's queries on a real scrape
#   nodejs, npm                the js-libp2p reference peer (interop/js) our libp2p stack is tested against
# Missing packages are installed with apt-get (as root, or through sudo without a password). When
# that is not possible, the script names each missing tool and the command that installs it, and
# stops before any test runs. Extra arguments go to Maven (e.g. ./run-tests.sh -o for offline).
#
# .ci/run calls this script, then the go-libp2p/rust-libp2p interop suite and the virtual-thread tests
# on a JDK 21+ (README, "Quick start").
set -euo pipefail
cd "$(dirname "$0")"

# tool -> Debian package
declare -A package=(
  [chromium]=chromium
  [chromedriver]=chromium-driver
  [promtool]=prometheus
  [node]=nodejs
  [npm]=npm
)
order=(chromium chromedriver promtool node npm)

missing_tools() {
  local tool
  for tool in "${order[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || echo "$tool"
  done
}

install_packages() {
  local sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo_cmd=(sudo -n)
    else
      return 1
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || return 1
  "${sudo_cmd[@]}" apt-get update -qq || return 1
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "$@" || return 1
}

# Pass 1 installs all but npm; pass 2 installs npm only if node did not bring it (NodeSource's
# nodejs ships npm and conflicts with Debian's npm package).
for pass in 1 2; do
  mapfile -t missing < <(missing_tools)
  ((${#missing[@]})) || break
  packages=()
  for tool in "${missing[@]}"; do
    pkg=${package[$tool]}
    if [[ $pass -eq 1 && $pkg == npm && " ${missing[*]} " == *" node "* ]]; then
      continue
    fi
    [[ " ${packages[*]} " == *" $pkg "* ]] || packages+=("$pkg")
  done
  echo "run-tests.sh: installing what the tests need: ${packages[*]} (missing: ${missing[*]})"
  if ! install_packages "${packages[@]}"; then
    echo "run-tests.sh: could not install them (this needs root or password-less sudo, apt-get and the network)." >&2
    echo "Install what is missing, then run ./run-tests.sh again:" >&2
    for tool in "${missing[@]}"; do
      echo "  $tool: apt-get install -y ${package[$tool]}" >&2
    done
    exit 1
  fi
done
mapfile -t still < <(missing_tools)
if ((${#still[@]})); then
  echo "run-tests.sh: still missing after apt-get: ${still[*]}" >&2
  exit 1
fi

node_major=$(node --version | sed 's/^v\([0-9]*\).*/\1/')
if ((node_major < 20)); then
  echo "run-tests.sh: Node.js $(node --version) is too old for js-libp2p 3: install Node 20 or newer" >&2
  exit 1
fi

exec ./mvnw -B "$@" verify
