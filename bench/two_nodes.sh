#!/usr/bin/env bash
# Two casebot nodes on one throwaway PostgreSQL, on this machine: a chat on node A follows
# a case, the case is changed through node B's admin API, and the notification reaches the
# chat on node A. Run from the repository root:
#
#   bench/two_nodes.sh            # builds target/release/casebot (an up-to-date build is quick)
#   KEEP=1 bench/two_nodes.sh     # leaves both nodes and the database running to play with
set -euo pipefail
CASEBOT=${CASEBOT:-target/release/casebot}
if [ "$CASEBOT" = target/release/casebot ]; then cargo build --release --quiet --bin casebot; fi
TOKEN=demo-admin-token
A=127.0.0.1:9181
B=127.0.0.1:9182
RN=EAC2690000001

eval "$(bench/pg_cluster.sh)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bench/pg_cluster.sh stop "$CASEBOT_PG_DIR"
}
[ -n "${KEEP:-}" ] || trap cleanup EXIT

wait_ready() {
  for _ in $(seq 100); do
    curl -fsS "http://$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "node $1 did not become ready" >&2
  exit 1
}

for addr in $A $B; do
  RUST_LOG=warn CASEBOT_ADMIN_TOKEN=$TOKEN "$CASEBOT" serve --addr "$addr" --watch false \
    --database-url "$CASEBOT_DATABASE_URL" &
  pids+=($!)
done
wait_ready $A
wait_ready $B
echo "node A on http://$A/, node B on http://$B/, database $CASEBOT_DATABASE_URL"

put() {
  curl -fsS -X PUT -H "Authorization: Bearer $TOKEN" "http://$B/api/cases/$RN" \
    -d "{\"form\":\"I-130\",\"status\":\"$1\",\"updated\":\"$2\"}" >/dev/null
  echo ">>> through node B: $RN is now \"$1\""
}
put "Case Was Received" 2026-01-05

# The chat runs on node A; the change is written through node B while it waits.
(
  echo "notify me about $RN"
  sleep 2
  echo "thanks"
  sleep 1
) | "$CASEBOT" chat --url "ws://$A/ws" &
chat=$!
sleep 1
put "Case Was Approved" 2026-02-01
wait $chat
if [ -n "${KEEP:-}" ]; then
  echo "left running: kill ${pids[*]}; bench/pg_cluster.sh stop $CASEBOT_PG_DIR"
fi
