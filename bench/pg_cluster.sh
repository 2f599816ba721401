#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster in a temp dir on a free port and prints its URL on
# stdout (source it or eval its output); `bench/pg_cluster.sh stop DIR` stops and removes it.
# As root, the cluster runs as the `postgres` user (PostgreSQL refuses to run as root).
# Defaults are PostgreSQL's own (fsync on), so figures measured on it are honest.
set -euo pipefail

bin=""
if command -v initdb >/dev/null 2>&1; then
  bin="$(dirname "$(command -v initdb)")"
else
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
fi
[ -x "$bin/initdb" ] || { echo "initdb not found: apt-get install postgresql" >&2; exit 1; }

as_user=()
if [ "$(id -u)" = 0 ]; then
  user=postgres; id postgres >/dev/null 2>&1 || user=nobody
  as_user=(runuser -u "$user" --)
fi

if [ "${1:-}" = stop ]; then
  dir="$2"
  "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" stop -m fast >/dev/null 2>&1 || true
  rm -rf "$dir"
  exit 0
fi

dir="$(mktemp -d /tmp/casebot-pg.XXXXXX)"
[ ${#as_user[@]} -eq 0 ] || chown "${as_user[2]}" "$dir"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"${as_user[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C >/dev/null
"${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 ${PG_OPTIONS:-}" start >/dev/null
echo "export CASEBOT_PG_DIR=$dir"
echo "export CASEBOT_DATABASE_URL=postgres://postgres@127.0.0.1:$port/postgres"
