#!/usr/bin/env bash
# Runs clang-tidy (Debian 12's, 14) with the repository's .clang-tidy over the
# sources in build/compile_commands.json.
#
#   tools/check-tidy.sh                 every project source outside tests/
#   tools/check-tidy.sh FILE|DIR...     only these files, or the sources under
#                                       these folders (e.g. http policies)
#   tools/check-tidy.sh --all           also the tests
#
# Environment: DYNSERV_BUILD_DIR (default build/; configure it first, the
# sources need no build), CLANG_TIDY (default clang-tidy), JOBS (default 1,
# clang-tidy parses each file as a compiler would: a CAF or Beast file takes
# 10-30 s on one idle core, the whole tree about an hour).
# Exits 0 when clang-tidy reports nothing, 1 when it warns, 2 on a usage error.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build_dir=${DYNSERV_BUILD_DIR:-$root/build}
clang_tidy=${CLANG_TIDY:-clang-tidy}
jobs=${JOBS:-1}

all=0
if [ "${1:-}" = "--all" ]; then
  all=1
  shift
fi
case "${1:-}" in
  -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) echo "check-tidy: unknown option $1" >&2; exit 2 ;;
esac

command -v "$clang_tidy" >/dev/null || {
  echo "check-tidy: $clang_tidy not found (apt-get install clang-tidy)" >&2
  exit 2
}
db="$build_dir/compile_commands.json"
[ -f "$db" ] || {
  echo "check-tidy: no $db; run cmake -S . -B $build_dir first" >&2
  exit 2
}

# The translation units the build knows, relative to the repository.
mapfile -t known < <(python3 -c '
import json, os, sys
root = os.path.realpath(sys.argv[1])
for e in json.load(open(sys.argv[2])):
    f = os.path.realpath(os.path.join(e["directory"], e["file"]))
    if f.startswith(root + os.sep) and not f.startswith(os.path.realpath(sys.argv[3]) + os.sep):
        print(os.path.relpath(f, root))
' "$root" "$db" "$build_dir" | sort -u)

files=()
if [ $# -gt 0 ]; then
  for arg in "$@"; do
    arg=${arg%/}
    for f in "${known[@]}"; do
      if [ "$f" = "$arg" ] || [[ "$f" == "$arg"/* ]]; then
        files+=("$f")
      fi
    done
  done
else
  for f in "${known[@]}"; do
    if [ "$all" -eq 1 ] || [[ "$f" != tests/* ]]; then
      files+=("$f")
    fi
  done
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "check-tidy: no compiled source matches $*" >&2
  exit 2
fi

echo "check-tidy: ${#files[@]} file(s), $jobs at a time" >&2
start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# --quiet drops the "N warnings generated" lines about suppressed warnings in
# library headers; only findings in the project's files remain.
printf '%s\n' "${files[@]}" \
  | xargs -P "$jobs" -I{} "$clang_tidy" --quiet -p "$build_dir" \
    --header-filter="^$(sed 's/[.[\*^$]/\\&/g' <<<"$root")/" {} \
    >"$log" 2>/dev/null || true
elapsed=$(( $(date +%s) - start ))
findings=$(grep -c ': warning: \|: error: ' "$log" || true)
cat "$log"
echo "check-tidy: $findings finding(s) in ${#files[@]} file(s), ${elapsed} s" >&2
[ "$findings" -eq 0 ]
