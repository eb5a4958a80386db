#!/usr/bin/env bash
# The whole test suite, from a fresh clone: system packages (as root), npm packages, build, then every test.
# Usage: npm test [-- FILE...]   (files default to test/unit, test/integration and test/e2e)
set -euo pipefail
cd "$(dirname "$0")/.."

# Every Debian package the suite starts, each checked by itself: having `prosody` does not mean having the SQL driver
# (lua-dbi-sqlite3) or the community modules that some tests load.
packages=(
  prosody prosody-modules lua-dbi-sqlite3   # XMPP server; SQL storage for the survival test
  ejabberd                                  # the second XMPP server of the test matrix
  chromium                                  # end-to-end tests (driven by playwright-core)
  profanity tmux                            # a real OMEMO peer, driven in a terminal
  nginx-light caddy                         # reverse-proxy tests
  redis-server                              # several Parley nodes (the socket.io Redis adapter)
)
need=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian packages: ${need[*]}"
    apt-get update -qq
    # ejabberd's and nginx's maintainer scripts start their system services; the tests start their own instances.
    own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    [ "$own_policy" = 0 ] || rm -f /usr/sbin/policy-rc.d
  else
    echo "Missing Debian packages: ${need[*]}" >&2
    echo "Install them with: sudo apt-get install ${need[*]}" >&2
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
exec node --import tsx --test --test-force-exit --test-concurrency="${PARLEY_TEST_CONCURRENCY:-3}" --test-timeout=600000 "${files[@]}"
