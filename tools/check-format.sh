#!/usr/bin/env bash
# Checks that tracked C++ sources match .clang-format (CAF's style).
#
#   tools/check-format.sh              check every tracked C++ file
#   tools/check-format.sh FILE...      check only these files
#   tools/check-format.sh --fix [FILE...]  rewrite the files in place
#
# Uses Debian 12's clang-format (14) unless CLANG_FORMAT names another binary.
# Other major versions lay some constructs out differently, so a file that is
# clean under one version may not be under another: CI pins 14.
# Exits 0 when every file is formatted, 1 when one is not, 2 on a usage error.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

clang_format=${CLANG_FORMAT:-clang-format}
wanted_major=14

fix=0
if [ "${1:-}" = "--fix" ]; then
  fix=1
  shift
fi
case "${1:-}" in
  -h|--help)
    sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0 ;;
  -*) echo "check-format: unknown option $1" >&2; exit 2 ;;
esac

command -v "$clang_format" >/dev/null || {
  echo "check-format: $clang_format not found (apt-get install clang-format)" >&2
  exit 2
}
version=$("$clang_format" --version)
major=$(sed -n 's/.*version \([0-9]*\)\..*/\1/p' <<<"$version")
if [ "$major" != "$wanted_major" ]; then
  echo "check-format: warning: $version; CI uses clang-format $wanted_major" >&2
fi

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' '*.h' '*.cc' '*.hh')
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "check-format: no C++ files to check" >&2
  exit 0
fi

if [ "$fix" -eq 1 ]; then
  "$clang_format" -i --style=file "${files[@]}"
  echo "check-format: formatted ${#files[@]} file(s)"
  exit 0
fi

# One clang-format run per file so that the summary can name each bad file;
# the tree is a few hundred files, which takes a few seconds.
bad=()
for f in "${files[@]}"; do
  if ! "$clang_format" --style=file --dry-run -Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done

if [ ${#bad[@]} -gt 0 ]; then
  printf '%s\n' "${bad[@]}"
  echo "check-format: ${#bad[@]} of ${#files[@]} file(s) need formatting;" \
       "see the changes with '$clang_format --dry-run FILE'," \
       "apply them with 'tools/check-format.sh --fix FILE...'" >&2
  exit 1
fi
echo "check-format: ${#files[@]} file(s) formatted"
