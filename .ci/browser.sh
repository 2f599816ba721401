#!/usr/bin/env bash
# Browser tests of the chat widget: installs Debian's Chromium and the npm packages if
# needed, builds casebot, starts it on a free port with a temp database and an admin token,
# runs tests/browser in headless Chromium, and stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

echo "== npm ci (tests/browser)"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

echo "== cargo build"
cargo build --quiet

db=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
export CASEBOT_ADMIN_TOKEN="ci-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export CASEBOT_BIN="$PWD/target/debug/casebot"
export CASEBOT_URL="http://127.0.0.1:$port"
seed=()
[ -f data/demo-cases.jsonl ] && seed=(--seed data/demo-cases.jsonl)

CASEBOT_WATCH=false RUST_LOG=warn "$CASEBOT_BIN" serve --addr "127.0.0.1:$port" --db "$db/db" "${seed[@]}" &
server=$!
cleanup() {
  kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$db"
}
trap cleanup EXIT

for _ in $(seq 100); do
  curl -fsS "$CASEBOT_URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "casebot exited before it was ready" >&2; exit 1; }
  sleep 0.2
done
curl -fsS "$CASEBOT_URL/healthz" >/dev/null

echo "== browser tests against $CASEBOT_URL"
(cd tests/browser && npm test)
