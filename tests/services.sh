#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster, Redis server, IMAP server (dovecot) and
# MariaDB server (a connected system's source in the connector tests):
#
#   tests/services.sh .venv/bin/pytest -x
#
# The servers listen on free ports of 127.0.0.1 and live in a temporary directory. The command
# sees DATABASE_URL, REDIS_URL, SECRET_KEY, IMAP_HOST/IMAP_PORT/IMAP_USER/IMAP_PASSWORD (one
# mailbox, plain IMAP on loopback only) and MYSQL_HOST/MYSQL_PORT/MYSQL_SOCKET/MYSQL_ADMIN_URL
# (MariaDB's root, passwordless, on loopback and the socket only). Whatever happens (failure, Ctrl-C), the servers are
# stopped and the directory removed. The exit status is the command's.
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
DOVECOT=${DOVECOT:-/usr/sbin/dovecot}
[ -x "$DOVECOT" ] || { log "dovecot not found; install the dovecot-imapd package"; exit 1; }
MARIADBD=${MARIADBD:-/usr/sbin/mariadbd}
MARIADB_SQL=${MARIADB_SQL:-/usr/share/mysql}  # the system tables' scripts, as Debian ships them
if [ ! -x "$MARIADBD" ] || [ ! -f "$MARIADB_SQL/mysql_system_tables.sql" ]; then
  log "mariadbd or its system tables' scripts not found; install the mariadb-server package"
  exit 1
fi

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
IMAP_DIR=$WORK/imap
IMAP_PID=""
MYSQL_DIR=$WORK/mysql
MYSQL_SOCKET=$MYSQL_DIR/sock
MYSQL_BOOTSTRAP_PID=""
MYSQL_PID=""

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
  if [ -n "$IMAP_PID" ] && kill -0 "$IMAP_PID" 2>/dev/null; then
    kill "$IMAP_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$IMAP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$IMAP_PID" 2>/dev/null
    wait "$IMAP_PID" 2>/dev/null
  fi
  if [ -n "$MYSQL_BOOTSTRAP_PID" ] && kill -0 "$MYSQL_BOOTSTRAP_PID" 2>/dev/null; then
    kill "$MYSQL_BOOTSTRAP_PID" 2>/dev/null
    wait "$MYSQL_BOOTSTRAP_PID" 2>/dev/null
  fi
  if [ -n "$MYSQL_PID" ] && kill -0 "$MYSQL_PID" 2>/dev/null; then
    kill "$MYSQL_PID" 2>/dev/null  # SIGTERM: mariadbd shuts down cleanly
    for _ in $(seq 100); do kill -0 "$MYSQL_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$MYSQL_PID" 2>/dev/null
    wait "$MYSQL_PID" 2>/dev/null
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

# Four distinct free TCP ports (held open together while choosing, so they differ).
read -r PG_PORT REDIS_PORT IMAP_PORT MYSQL_PORT < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
')
if [ -z "${MYSQL_PORT:-}" ]; then log "could not pick free ports"; exit 1; fi

# --- MariaDB: its system tables first, in the background while the others start -----------------
# --no-defaults: nothing of /etc/mysql is read. mariadbd refuses to run as root: run as root (CI),
# it switches to Debian's mysql account itself (--user), which must reach the directory.
mkdir -p "$MYSQL_DIR/tmp" "$MYSQL_DIR/data"
MYSQL_USER_OPT=()
if [ "$(id -u)" -eq 0 ]; then
  MYSQL_USER_OPT=(--user=mysql)
  id mysql >/dev/null 2>&1 || MYSQL_USER_OPT=(--user=root)
  chown -R "${MYSQL_USER_OPT[0]#--user=}" "$MYSQL_DIR"
  chmod 755 "$WORK"
fi
# Small InnoDB files and no durability: a throwaway server, started by every test run.
MYSQL_COMMON=(--no-defaults --datadir="$MYSQL_DIR/data" --tmpdir="$MYSQL_DIR/tmp"
  --innodb-buffer-pool-size=32M --innodb-log-file-size=8M --innodb-flush-log-at-trx-commit=0
  --innodb-doublewrite=0 --innodb-fast-shutdown=3 --innodb-buffer-pool-dump-at-shutdown=0
  --innodb-buffer-pool-load-at-startup=0 --skip-log-bin --skip-name-resolve "${MYSQL_USER_OPT[@]}")
# What mariadb-install-db does with --auth-root-authentication-method=normal (root without a
# password on the socket and on 127.0.0.1), less the help tables, GIS procedures and sys schema
# it also loads: they took 60 % of the time and no test reads them.
{
  printf '%s\n' "CREATE DATABASE IF NOT EXISTS mysql;" "USE mysql;" "SET @auth_root_socket=NULL;"
  cat "$MARIADB_SQL/mysql_system_tables.sql" "$MARIADB_SQL/mysql_performance_tables.sql" \
    "$MARIADB_SQL/mysql_system_tables_data.sql"
} | (cd "$WORK" && exec "$MARIADBD" "${MYSQL_COMMON[@]}" --bootstrap --log-warnings=0 \
  >"$MYSQL_DIR/bootstrap.log" 2>&1) &
MYSQL_BOOTSTRAP_PID=$!

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

# --- IMAP (dovecot) -----------------------------------------------------------------------------
# Its own configuration file only (-c: nothing of /etc/dovecot is read), one passwd-file user, a
# maildir under the throwaway directory. Run as root (CI), dovecot's own unprivileged accounts
# own the mail and the login processes; run as anyone else, that user does.
mkdir -p "$IMAP_DIR/run" "$IMAP_DIR/state" "$IMAP_DIR/mail"
IMAP_USER=intake
IMAP_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
if [ "$(id -u)" -eq 0 ]; then
  MAIL_ACCOUNT=dovecot; LOGIN_ACCOUNT=dovenull; INTERNAL_ACCOUNT=dovecot
else
  MAIL_ACCOUNT=$(id -un); LOGIN_ACCOUNT=$MAIL_ACCOUNT; INTERNAL_ACCOUNT=$MAIL_ACCOUNT
fi
echo "$IMAP_USER:{PLAIN}$IMAP_PASSWORD" >"$IMAP_DIR/passwd"
cat >"$IMAP_DIR/dovecot.conf" <<CONF
base_dir = $IMAP_DIR/run
state_dir = $IMAP_DIR/state
instance_name = dpo-services-imap
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = $IMAP_DIR/dovecot.log
default_internal_user = $INTERNAL_ACCOUNT
default_internal_group = $(id -gn "$INTERNAL_ACCOUNT")
default_login_user = $LOGIN_ACCOUNT
first_valid_uid = $(id -u "$MAIL_ACCOUNT")
mail_location = maildir:$IMAP_DIR/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $IMAP_DIR/passwd
}
userdb {
  driver = static
  args = uid=$(id -u "$MAIL_ACCOUNT") gid=$(id -g "$MAIL_ACCOUNT") home=$IMAP_DIR/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
CONF
if [ "$(id -u)" -eq 0 ]; then
  chown -R "$MAIL_ACCOUNT" "$IMAP_DIR/mail"
  chmod 755 "$WORK"
fi
"$DOVECOT" -F -c "$IMAP_DIR/dovecot.conf" >"$IMAP_DIR/stdout.log" 2>&1 &
IMAP_PID=$!
for i in $(seq 300); do
  python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1', $IMAP_PORT), 1); \
sys.exit(0 if s.recv(100).startswith(b'* OK') else 1)" 2>/dev/null && break
  if [ "$i" -eq 300 ] || ! kill -0 "$IMAP_PID" 2>/dev/null; then
    log "dovecot failed to start:"; cat "$IMAP_DIR/stdout.log" "$IMAP_DIR/dovecot.log" >&2 2>/dev/null
    exit 1
  fi
  sleep 0.1
done

# --- MariaDB server ------------------------------------------------------------------------------
if ! wait "$MYSQL_BOOTSTRAP_PID"; then
  MYSQL_BOOTSTRAP_PID=""
  log "MariaDB's system tables could not be made:"; cat "$MYSQL_DIR/bootstrap.log" >&2; exit 1
fi
MYSQL_BOOTSTRAP_PID=""
(cd "$WORK" && exec "$MARIADBD" "${MYSQL_COMMON[@]}" --socket="$MYSQL_SOCKET" \
  --pid-file="$MYSQL_DIR/mariadbd.pid" --skip-networking=0 --bind-address=127.0.0.1 \
  --port="$MYSQL_PORT" --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
  --log-error="$MYSQL_DIR/error.log" >"$MYSQL_DIR/stdout.log" 2>&1) &
MYSQL_PID=$!
for i in $(seq 300); do
  mariadb-admin --no-defaults --protocol=socket --socket="$MYSQL_SOCKET" -uroot ping \
    >/dev/null 2>&1 && break
  if [ "$i" -eq 300 ] || ! kill -0 "$MYSQL_PID" 2>/dev/null; then
    log "MariaDB failed to start:"; cat "$MYSQL_DIR/error.log" >&2 2>/dev/null; exit 1
  fi
  sleep 0.1
done

export MYSQL_HOST=127.0.0.1
export MYSQL_PORT MYSQL_SOCKET
export MYSQL_ADMIN_URL="mysql://root@127.0.0.1:$MYSQL_PORT/"
export IMAP_HOST=127.0.0.1
export IMAP_PORT IMAP_USER IMAP_PASSWORD
export DATABASE_URL="postgres://dpo@127.0.0.1:$PG_PORT/dpo"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export SECRET_KEY=test-secret
log "PostgreSQL at $DATABASE_URL, Redis at $REDIS_URL, IMAP at $IMAP_HOST:$IMAP_PORT," \
  "MariaDB at $MYSQL_HOST:$MYSQL_PORT"

# --- the command ---------------------------------------------------------------------------------
set +e
"$@"
status=$?
set -e
exit "$status"
