#!/usr/bin/env bash
# The whole test suite, from a fresh clone: system packages (as root), npm packages, build, then every test.
# Usage: npm test [-- FILE...]   (files default to test/unit, test/integration and test/e2e)
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v prosody >/dev/null || need+=(prosody prosody-modules lua-dbi-sqlite3)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v profanity >/dev/null || need+=(profanity)
command -v tmux >/dev/null || need+=(tmux)
command -v nginx >/dev/null || need+=(nginx-light)
command -v caddy >/dev/null || need+=(caddy)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "Missing system packages. Install them with: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent

shopt -s globstar nullglob
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(test/unit/**/*.test.ts test/integration/**/*.test.ts test/e2e/**/*.test.ts)
fi
# --test-force-exit: a test file whose tests and hooks are done exits even if some handle leaked (a timer, a socket),
# so such a leak cannot hold CI until its time limit.
exec node --import tsx --test --test-force-exit --test-concurrency="${PARLEY_TEST_CONCURRENCY:-3}" --test-timeout=300000 "${files[@]}"
