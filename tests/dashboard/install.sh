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
# Debian 12's Node.js 18 (1.62 and later need Node.js 20). Check the Node.js
# that will run the test against every locked package's engines, so that a
# mismatch is one clear line here rather than a failure inside the test.
node "$here/check-engines.js"

# npm ci wipes and reinstalls node_modules: only run it when the installed
# tree is not the one the lock describes.
stamp="$here/node_modules/.dynserv-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$stamp" "$here/package-lock.json"; then
  echo "dashboard: npm ci in $here"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$here/package-lock.json" "$stamp"
fi
