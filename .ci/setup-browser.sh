#!/usr/bin/env bash
# Installs what the widget's browser tests (tests/browser.rs → tests/browser/) need:
# Debian's Chromium (no browser downloads) and the npm packages (playwright-core).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version

(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
