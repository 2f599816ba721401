#!/usr/bin/env bash
# Chat load on sled and on PostgreSQL, back to back: `casebot load` at CONNECTIONS
# connections for SECONDS against a server on a fresh sled database, then against one on
# a fresh throwaway PostgreSQL cluster (bench/pg_cluster.sh, fsync on), ROUNDS times.
#
#   bench/pg_load.sh [ROUNDS] [SECONDS] [CONNECTIONS]
#
# Run from the repository root. Uses target/release/casebot (or $CASEBOT); the servers get
# the abuse limits raised as in bench/load.sh: the runs measure throughput, not the limits.
set -euo pipefail
rounds=${1:-2}
secs=${2:-15}
conns=${3:-64}
CASEBOT=${CASEBOT:-target/release/casebot}
[ -x "$CASEBOT" ] || cargo build --release --quiet --bin casebot

DB=$(mktemp -d)
SERVER=""
PGDIR=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [ -n "$PGDIR" ] && bench/pg_cluster.sh stop "$PGDIR"
  rm -rf "$DB"
}
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2
  exit 1
}

serve() {
  RUST_LOG=warn CASEBOT_MESSAGES_PER_SEC=1000000 CASEBOT_MESSAGE_BURST=1000000 \
    CASEBOT_MAX_CONNECTIONS_PER_IP=100000 CASEBOT_MAX_CONNECTIONS=100000 \
    CASEBOT_MAX_SESSIONS=200000 \
    "$CASEBOT" serve --addr 127.0.0.1:9092 --watch false "$@" &
  SERVER=$!
  wait_port 9092
}

measure() {
  local before after summary replies
  before=$(cpu_ticks "$SERVER")
  summary=$("$CASEBOT" load --url ws://127.0.0.1:9092/ws --connections "$conns" --duration "$secs" | tail -n 1)
  after=$(cpu_ticks "$SERVER")
  replies=$(grep -o '"replies":[0-9]*' <<<"$summary" | cut -d: -f2)
  echo "$1 round $2 load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /) server_cpu_us_per_reply=$(( (after - before) * 1000000 / $(getconf CLK_TCK) / (replies > 0 ? replies : 1) )) $summary"
}

stop() {
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  SERVER=""
}

for round in $(seq "$rounds"); do
  rm -rf "$DB/db"
  serve --db "$DB/db"
  measure sled "$round"
  stop
  eval "$(bench/pg_cluster.sh)"
  PGDIR=$CASEBOT_PG_DIR
  serve --database-url "$CASEBOT_DATABASE_URL"
  measure postgres "$round"
  stop
  bench/pg_cluster.sh stop "$PGDIR"
  PGDIR=""
  unset CASEBOT_DATABASE_URL
done
