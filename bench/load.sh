#!/usr/bin/env bash
# Load measurements of casebot against the reference server, on this machine.
#
#   bench/load.sh compare [ROUNDS] [SECONDS] [CONNECTIONS]  reference vs casebot, back to back
#                     (REPLY_BYTES=N pads the reference's replies to N bytes: use casebot's
#                     mean_reply_bytes so both servers send the same per reply)
#   bench/load.sh idle [COUNT] [SERVERS]                    resident memory per idle connection
#   bench/load.sh soak [SECONDS] [CONNECTIONS]              resident memory over a long full-load run
#
# Run from the repository root. Builds release binaries first. The servers get the abuse
# limits raised: the runs measure throughput and memory, not the rate limits.
set -euo pipefail

cargo build --release --quiet --bin casebot --example reference_server
CASEBOT=target/release/casebot
REFERENCE=target/release/examples/reference_server
# Idle runs need a descriptor per connection in each process.
ulimit -n "$(ulimit -Hn)"

DB=$(mktemp -d)
SERVER=""
cleanup() {
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
    rm -rf "$DB"
}
trap cleanup EXIT

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# CPU time (user + system) a process has used, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure PORT NAME ROUND: one load run with the server's and the load client's CPU time
# per reply (the client must spend less than the servers for the comparison to hold).
measure() {
    local before after summary replies client_cpu times
    times=$(mktemp)
    before=$(cpu_ticks "$SERVER")
    summary=$(/usr/bin/time -f "%U %S" -o "$times" "$CASEBOT" load --url "ws://127.0.0.1:$1/ws" \
        --connections "$conns" --duration "$secs" | tail -n 1)
    after=$(cpu_ticks "$SERVER")
    client_cpu=$(awk '{printf "%d", ($1 + $2) * 1000000}' "$times")
    rm -f "$times"
    replies=$(grep -o '"replies":[0-9]*' <<<"$summary" | cut -d: -f2)
    replies=$(( replies > 0 ? replies : 1 ))
    echo "$2 round $3 server_cpu_us_per_reply=$(( (after - before) * 1000000 / $(getconf CLK_TCK) / replies )) client_cpu_us_per_reply=$(( client_cpu / replies )) $summary"
}

wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "server on port $1 did not start" >&2
    exit 1
}

start_casebot() {
    rm -rf "$DB/db"
    RUST_LOG=warn CASEBOT_MESSAGES_PER_SEC=1000000 CASEBOT_MESSAGE_BURST=1000000 \
        CASEBOT_MAX_CONNECTIONS_PER_IP=100000 CASEBOT_MAX_CONNECTIONS=100000 \
        CASEBOT_MAX_SESSIONS=200000 \
        "$CASEBOT" serve --addr 127.0.0.1:9091 --db "$DB/db" --watch false &
    SERVER=$!
    wait_port 9091
}

start_reference() {
    "$REFERENCE" 127.0.0.1:9090 "${REPLY_BYTES:-0}" 2>/dev/null &
    SERVER=$!
    wait_port 9090
}

stop_server() {
    kill "$SERVER"
    wait "$SERVER" 2>/dev/null || true
    SERVER=""
}

# load PORT ARGS…: runs the load client, prints its JSON summary line.
load() {
    local port=$1
    shift
    "$CASEBOT" load --url "ws://127.0.0.1:$port/ws" "$@" | tail -n 1
}

mode=${1:-compare}
case "$mode" in
compare)
    rounds=${2:-3} secs=${3:-20} conns=${4:-64}
    echo "# uptime: $(uptime)"
    for round in $(seq "$rounds"); do
        start_reference
        measure 9090 reference "$round"
        stop_server
        start_casebot
        measure 9091 "casebot  " "$round"
        stop_server
    done
    echo "# uptime: $(uptime)"
    ;;
idle)
    count=${2:-10000} servers=${3:-reference casebot}
    echo "# uptime: $(uptime)"
    for server in $servers; do
        if [ "$server" = reference ]; then start_reference; port=9090; else start_casebot; port=9091; fi
        # A few chats first, so lazily built state is counted in the baseline.
        load "$port" --connections 4 --duration 1 >/dev/null
        sleep 1
        before=$(rss_kib "$SERVER")
        log=$(mktemp)
        "$CASEBOT" load --url "ws://127.0.0.1:$port/ws" --connections 0 --idle "$count" \
            --duration 60 >"$log" 2>&1 &
        client=$!
        until grep -q "idle connections open" "$log"; do sleep 0.5; done
        sleep 5
        after=$(rss_kib "$SERVER")
        opened=$(grep -o '[0-9]* of [0-9]* idle' "$log" | head -n 1)
        kill "$client" 2>/dev/null || true
        wait "$client" 2>/dev/null || true
        rm -f "$log"
        echo "$server idle: $opened; VmRSS $before KiB -> $after KiB;" \
            "$(( (after - before) * 1024 / count )) bytes per connection"
        stop_server
    done
    ;;
soak)
    secs=${2:-600} conns=${3:-64}
    echo "# uptime: $(uptime)"
    start_casebot
    log=$(mktemp)
    load 9091 --connections "$conns" --duration "$secs" >"$log" &
    client=$!
    for t in $(seq 0 30 "$secs"); do
        echo "t=${t}s VmRSS $(rss_kib "$SERVER") KiB"
        sleep 30
        kill -0 "$client" 2>/dev/null || break
    done
    wait "$client" || true
    echo "summary $(cat "$log")"
    echo "end VmRSS $(rss_kib "$SERVER") KiB"
    rm -f "$log"
    stop_server
    echo "# uptime: $(uptime)"
    ;;
*)
    echo "usage: bench/load.sh compare|idle|soak [...]" >&2
    exit 2
    ;;
esac
