#!/usr/bin/env bash
# Installs missing Debian packages, builds dynserv, then runs the demo or the
# test suite. Idempotent: with everything installed it only (re)builds.
#
#   tools/setup.sh demo    build and run examples/demo.json (Ctrl-C stops)
#   tools/setup.sh test    build and run the whole test suite through ctest
#   tools/setup.sh build   only install and build
#
# DYNSERV_WERROR=1 turns compiler warnings into errors (CI sets it);
# DYNSERV_BUILD_DIR and DYNSERV_BUILD_TYPE pick the build folder and type.
set -euo pipefail

mode=${1:-}
case "$mode" in
  demo|test|build) ;;
  *) echo "usage: tools/setup.sh demo|test|build" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${DYNSERV_BUILD_DIR:-$root/build}
build_type=${DYNSERV_BUILD_TYPE:-RelWithDebInfo}
case "${DYNSERV_WERROR:-0}" in
  1|ON|on|yes|true) werror=ON ;;
  *) werror=OFF ;;
esac

# Everything dynserv needs from Debian 12; see README "Dependencies".
# prometheus ships promtool, which test_metrics checks the exposition with.
# clang-format and clang-tidy run in tools/check-format.sh and check-tidy.sh.
packages=(
  cmake g++ ninja-build ccache pkg-config clang-format clang-tidy
  libcaf-dev libboost-dev libboost-test-dev libssl-dev rapidjson-dev
  librocksdb-dev libspdlog-dev libfmt-dev libedit-dev
  tmux openssl python3 tzdata
  prometheus
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null \
      | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
      echo "setup: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
    as_root=(sudo)
  fi
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
  -DDYNSERV_WERROR="$werror" >/dev/null
cmake --build "$build_dir" -j "$jobs"

case "$mode" in
  demo)
    echo "setup: running the demo node (Ctrl-C stops it; state is kept in" \
         "$root/data/demo)"
    exec "$build_dir/tools/dynserv" run --config "$root/examples/demo.json"
    ;;
  test)
    # The dashboard's browser test needs chromium, Node.js and playwright-core.
    "$root/tests/dashboard/install.sh"
    cd "$build_dir"
    exec ctest --output-on-failure -j "$jobs"
    ;;
esac
