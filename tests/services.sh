#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster and Redis server:
#
#   tests/services.sh .venv/bin/pytest -x
#
# Both servers listen on free ports of 127.0.0.1 and live in a temporary directory. The command
# sees DATABASE_URL, REDIS_URL and SECRET_KEY. Whatever happens (failure, Ctrl-C), both servers
# are stopped and the directory removed. The exit status is the command's.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

log() { echo "services: $*" >&2; }

# --- locate PostgreSQL server binaries (Debian keeps them off PATH) ---------------------------
PG_BIN=${PG_BIN:-}
if [ -z "$PG_BIN" ]; then
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ]; then PG_BIN=$dir; break; fi
  done
fi
if [ -z "$PG_BIN" ] && command -v initdb >/dev/null; then
  PG_BIN=$(dirname "$(command -v initdb)")
fi
if [ -z "$PG_BIN" ]; then
  log "PostgreSQL server binaries (initdb) not found; install the postgresql package"
  exit 1
fi
command -v redis-server >/dev/null || { log "redis-server not found"; exit 1; }

# --- temporary home for both servers -----------------------------------------------------------
# Under /tmp (not $TMPDIR) so the postgres user can reach it; keeps the socket path short too.
WORK=$(mktemp -d /tmp/dpo-services.XXXXXX)
PG_DATA=$WORK/pgdata
PG_SOCK=$WORK/sock
PG_LOG=$WORK/postgres.log
REDIS_DIR=$WORK/redis
REDIS_LOG=$WORK/redis.log
REDIS_PID=""
PG_PID=""

cleanup() {
  local status=$?
  set +e
  trap - EXIT INT TERM HUP
  if [ -n "$REDIS_PID" ] && kill -0 "$REDIS_PID" 2>/dev/null; then
    kill "$REDIS_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$REDIS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$REDIS_PID" 2>/dev/null
    wait "$REDIS_PID" 2>/dev/null
  fi
  if [ -n "$PG_PID" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 10 stop >/dev/null 2>&1
    if [ -f "$PG_DATA/postmaster.pid" ]; then
      pg_pid=$(head -1 "$PG_DATA/postmaster.pid")
      [ -n "$pg_pid" ] && kill -9 "$pg_pid" 2>/dev/null
    fi
    wait "$PG_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mkdir -p "$PG_SOCK" "$REDIS_DIR"

# PostgreSQL refuses to run as root: use the postgres account for the cluster then. The server
# itself is exec'd through setpriv (runuser would stay around as its parent and get in the way of
# signals and reaping), so it is a direct child of this script.
PG_AS=()
PG_EXEC=()
if [ "$(id -u)" -eq 0 ]; then
  chown -R postgres:postgres "$WORK"
  PG_AS=(runuser -u postgres --)
  PG_EXEC=(setpriv --reuid=postgres --regid=postgres --init-groups)
fi
as_pg() { (cd "$WORK" && exec "${PG_AS[@]}" "$@"); }

# Two distinct free TCP ports (held open together while choosing, so they differ).
read -r PG_PORT REDIS_PORT < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
')
if [ -z "${REDIS_PORT:-}" ]; then log "could not pick free ports"; exit 1; fi

# --- PostgreSQL --------------------------------------------------------------------------------
as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
  --no-sync >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; exit 1; }
# Started as a child of this script (not daemonised by pg_ctl), so it is reaped when it stops.
# Durability is pointless for a throwaway cluster; speed is not.
(cd "$WORK" && exec "${PG_EXEC[@]}" "$PG_BIN/postgres" -D "$PG_DATA" \
  -h 127.0.0.1 -p "$PG_PORT" -k "$PG_SOCK" -c fsync=off -c synchronous_commit=off -c full_page_writes=off >"$PG_LOG" 2>&1) &
PG_PID=$!
for i in $(seq 600); do
  "$PG_BIN/pg_isready" -q -h "$PG_SOCK" -p "$PG_PORT" && break
  if [ "$i" -eq 600 ] || ! kill -0 "$PG_PID" 2>/dev/null; then
    log "PostgreSQL failed to start:"; cat "$PG_LOG" >&2; exit 1
  fi
  sleep 0.1
done
as_pg "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE dpo LOGIN SUPERUSER" -c "CREATE DATABASE dpo OWNER dpo" >/dev/null

# --- Redis ---------------------------------------------------------------------------------------
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize no \
  --dir "$REDIS_DIR" --logfile "$REDIS_LOG" &
REDIS_PID=$!
for i in $(seq 300); do
  [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break
  if [ "$i" -eq 300 ] || ! kill -0 "$REDIS_PID" 2>/dev/null; then
    log "Redis failed to start:"; cat "$REDIS_LOG" >&2; exit 1
  fi
  sleep 0.1
done

export DATABASE_URL="postgres://dpo@127.0.0.1:$PG_PORT/dpo"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export SECRET_KEY=test-secret
log "PostgreSQL at $DATABASE_URL, Redis at $REDIS_URL"

# --- the command ---------------------------------------------------------------------------------
set +e
"$@"
status=$?
set -e
exit "$status"
