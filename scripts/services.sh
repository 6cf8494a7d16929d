#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1 for the tests and `make run`.
#
# Uses the ones already running on the ports (default 5432 and 6379). When one
# is not running, starts a throwaway one from the locally installed server
# binaries, with its data in a temp dir (trust auth, user postgres; Redis keeps
# nothing on disk). When the binaries are missing too, stops with one line
# saying how to get them. Installs nothing.
#
#   scripts/services.sh [start|stop]      PG_PORT=5432 REDIS_PORT=6379
#
# For the fault suite (`make faults`), on the throwaway servers this script
# started: `restart-pg` restarts PostgreSQL with -m fast (every connection is
# dropped; PG_DOWN_SECONDS=N keeps it down N seconds first), `kill-redis`
# SIGKILLs Redis (`start` brings it back).
set -euo pipefail

PG_PORT=${PG_PORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}
STATE=${ACCGEN_SERVICES_DIR:-${TMPDIR:-/tmp}/accgen-services}
PG_DIR=$STATE/pg-$PG_PORT
REDIS_DIR=$STATE/redis-$REDIS_PORT
PG_OPTS="-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off"

say() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: %s\n' "$*" >&2; exit 1; }

# pg_bin NAME finds a PostgreSQL program on PATH or in Debian's versioned dirs.
pg_bin() {
  if command -v "$1" >/dev/null 2>&1; then command -v "$1"; return; fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/$1" ]; then echo "$d/$1"; return; fi
  done
  return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pg_ready() {
  local isready
  if isready=$(pg_bin pg_isready); then
    "$isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres
  else
    port_open "$PG_PORT"
  fi
}

redis_ready() {
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
  else
    port_open "$REDIS_PORT"
  fi
}

# as_pg_user runs a command as an unprivileged user when we are root:
# PostgreSQL refuses to run as root.
as_pg_user() {
  if [ "$(id -u)" -ne 0 ]; then "$@"; return; fi
  local user=postgres
  id "$user" >/dev/null 2>&1 || user=nobody
  chown -R "$user" "$PG_DIR"
  if command -v runuser >/dev/null 2>&1; then runuser -u "$user" -- "$@"; else su -s /bin/sh "$user" -c "$(printf '%q ' "$@")"; fi
}

start_pg() {
  if pg_ready; then return; fi
  local initdb pg_ctl
  initdb=$(pg_bin initdb) && pg_ctl=$(pg_bin pg_ctl) ||
    die "PostgreSQL is not running on 127.0.0.1:$PG_PORT and no PostgreSQL server is installed: install one (Debian: apt-get install postgresql) or set ACCGEN_TEST_DATABASE_URL to a server you have."
  say "starting a throwaway PostgreSQL on 127.0.0.1:$PG_PORT (data in $PG_DIR)"
  mkdir -p "$PG_DIR"
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    rm -rf "$PG_DIR/data"
    as_pg_user "$initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1 ||
      die "initdb failed; see $PG_DIR/initdb.log"
  fi
  as_pg_user "$pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -o "$PG_OPTS" start >/dev/null ||
    die "PostgreSQL did not start; see $PG_DIR/server.log"
}

start_redis() {
  if redis_ready; then return; fi
  command -v redis-server >/dev/null 2>&1 ||
    die "Redis is not running on 127.0.0.1:$REDIS_PORT and redis-server is not installed: install it (Debian: apt-get install redis-server) or set ACCGEN_TEST_REDIS_URL to a server you have."
  say "starting a throwaway Redis on 127.0.0.1:$REDIS_PORT"
  mkdir -p "$REDIS_DIR"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$REDIS_DIR" --logfile "$REDIS_DIR/redis.log" --pidfile "$REDIS_DIR/redis.pid"
  for _ in $(seq 50); do redis_ready && return; sleep 0.1; done
  die "Redis did not start; see $REDIS_DIR/redis.log"
}

stop_all() {
  if [ -f "$PG_DIR/data/postmaster.pid" ]; then
    as_pg_user "$(pg_bin pg_ctl)" -D "$PG_DIR/data" -m fast stop >/dev/null || true
  fi
  if [ -f "$REDIS_DIR/redis.pid" ]; then kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true; fi
}

# restart_pg restarts PostgreSQL; with PG_DOWN_SECONDS it stays down that long.
restart_pg() {
  [ -f "$PG_DIR/data/postmaster.pid" ] || die "no PostgreSQL started by this script runs on port $PG_PORT"
  local pg_ctl down=${PG_DOWN_SECONDS:-0}
  pg_ctl=$(pg_bin pg_ctl)
  if [ "$down" = 0 ]; then
    as_pg_user "$pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -m fast -w -t 60 restart >/dev/null ||
      die "PostgreSQL did not restart; see $PG_DIR/server.log"
    return
  fi
  as_pg_user "$pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop >/dev/null
  sleep "$down"
  as_pg_user "$pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -o "$PG_OPTS" start >/dev/null ||
    die "PostgreSQL did not start again; see $PG_DIR/server.log"
}

kill_redis() {
  [ -f "$REDIS_DIR/redis.pid" ] || die "no Redis started by this script runs on port $REDIS_PORT"
  kill -9 "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true
  rm -f "$REDIS_DIR/redis.pid"
}

case "${1:-start}" in
  start)
    [ -n "${ACCGEN_TEST_DATABASE_URL:-}" ] || start_pg
    [ -n "${ACCGEN_TEST_REDIS_URL:-}" ] || start_redis
    ;;
  stop) stop_all ;;
  restart-pg) restart_pg ;;
  kill-redis) kill_redis ;;
  *) die "usage: $0 [start|stop|restart-pg|kill-redis]" ;;
esac
