#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on 127.0.0.1 for tests. Usage: pg-test-cluster.sh start|stop
# As root it runs the server as the `postgres` user (PostgreSQL refuses root); as a normal user, as that user.
set -euo pipefail
PORT=${PGTEST_PORT:-54329}
STATE=${PGTEST_STATE:-/tmp/mentorfold-pgtest.dir}
BIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
as_owner() { if [ "$(id -u)" -eq 0 ]; then (cd / && su postgres -s /bin/bash -c "$1"); else bash -c "$1"; fi; }
case "${1:-}" in
  start)
    dir=$(mktemp -d /tmp/mentorfold-pg.XXXXXX)
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    echo "$dir" > "$STATE"
    as_owner "$BIN/initdb -D $dir/data -A trust -U postgres >/dev/null"
    as_owner "$BIN/pg_ctl -D $dir/data -o '-k $dir -h 127.0.0.1 -p $PORT -F -c fsync=off -c full_page_writes=off -c synchronous_commit=off' -l $dir/log -w start >/dev/null"
    echo "postgres://postgres@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    [ -f "$STATE" ] || exit 0
    dir=$(cat "$STATE")
    as_owner "$BIN/pg_ctl -D $dir/data -m fast -w stop >/dev/null" || true
    rm -rf "$dir" "$STATE"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
