#!/usr/bin/env bash
# Two builds of casebot, back to back, with the same load client (the second build's):
#
#   bench/compare_builds.sh OLD_BINARY NEW_BINARY [ROUNDS=3] [SECONDS=15] [CONNECTIONS=64]
#
# Each run starts a server on a fresh database with the abuse limits raised, waits for
# /healthz, runs `casebot load`, and prints the server's CPU time per reply with the load
# client's JSON summary. Build the old binary from an older commit with its own target dir.
# Each server reads the content of its own checkout (OLD_DIR and NEW_DIR, default the
# current directory): a build refuses content newer than itself (an unknown replies key).
set -uo pipefail
OLD=$1 NEW=$2 ROUNDS=${3:-3} SECS=${4:-15} CONNS=${5:-64}
OLD_DIR=${OLD_DIR:-.} NEW_DIR=${NEW_DIR:-.}
PORT=9191
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for round in $(seq "$ROUNDS"); do
  for name in old new; do
    bin=$OLD dir=$OLD_DIR; [ "$name" = new ] && bin=$NEW dir=$NEW_DIR
    db=$(mktemp -d)
    (cd "$dir" && CASEBOT_MESSAGES_PER_SEC=1000000 CASEBOT_MESSAGE_BURST=1000000 \
      CASEBOT_MAX_CONNECTIONS_PER_IP=100000 CASEBOT_MAX_CONNECTIONS=100000 \
      RUST_LOG=warn exec "$bin" serve --addr 127.0.0.1:$PORT --db "$db/db" --watch false) >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
    before=$(cpu_ticks $pid)
    summary=$("$NEW" load --url "ws://127.0.0.1:$PORT/ws" --connections "$CONNS" --duration "$SECS" 2>/dev/null | tail -1)
    after=$(cpu_ticks $pid)
    replies=$(grep -o '"replies":[0-9]*' <<<"$summary" | cut -d: -f2)
    echo "$name round $round load=$(cut -d' ' -f1 /proc/loadavg) server_cpu_us_per_reply=$(( (after - before) * 1000000 / $(getconf CLK_TCK) / (replies > 0 ? replies : 1) )) $summary"
    kill $pid; wait $pid 2>/dev/null; rm -rf "$db"
  done
done
