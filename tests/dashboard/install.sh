#!/usr/bin/env bash
# Installs what the dashboard browser test needs: Debian's chromium, Node.js
# and npm (if missing), and playwright-core from package-lock.json (npm ci,
# only when node_modules does not match the lock). Idempotent.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
missing=()
installed chromium || missing+=(chromium)
# A Node.js from elsewhere (nvm, the machine image) will do as well.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  installed nodejs || missing+=(nodejs)
  installed npm || missing+=(npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "dashboard: installing ${missing[*]}"
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
      echo "dashboard: need root (or sudo) to install ${missing[*]}" >&2
      exit 1
    }
    as_root=(sudo)
  fi
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The lock pins playwright-core 1.61.1, the newest whose engines allow
# Debian 12's Node.js 18 (1.62 and later need Node.js 20). npm ci runs with
# --engine-strict, so a Node.js that does not fit a locked package's engines
# stops here with npm's EBADENGINE lines (package, required, actual) rather
# than inside the test. npm ci wipes and reinstalls node_modules: run it only
# when the installed tree is not the one the lock describes for this Node.js
# (the stamp holds the Node.js version too, so a changed Node.js is checked).
stamp="$here/node_modules/.dynserv-lock"
wanted=$(node --version; cat "$here/package-lock.json")
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "dashboard: npm ci in $here (Node.js $(node --version))"
  if ! (cd "$here" && npm ci --engine-strict --no-audit --no-fund \
          --loglevel=error); then
    echo "dashboard: npm ci failed; if npm says EBADENGINE, the Node.js on" \
         "PATH ($(command -v node), $(node --version)) does not fit" \
         "tests/dashboard/package-lock.json" >&2
    exit 1
  fi
  printf '%s\n' "$wanted" > "$stamp"
fi
