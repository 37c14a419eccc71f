"""Connections to a connected system's database, with least privilege and timeouts.

The DSN is read when needed from the environment variable or file the connector names, never
stored, logged or shown; errors are reported by their kind and the driver's primary message,
which names tables and columns but not the values (PostgreSQL keeps values in the DETAIL part,
which is dropped; MySQL quotes values in its messages, and the quoted parts are dropped).
"""

import contextlib
import hashlib
import math
import os
import re
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import psycopg
import pymysql
import pymysql.cursors
from django.utils.translation import gettext as _
from pymysql.constants import CLIENT, CR, ER

from .statements import MySQL, Postgres, SQLite, Statement


class SourceError(Exception):
    """A failure talking to the source, with a message free of values and of the DSN."""

    def __init__(self, message, *, retryable=False):
        super().__init__(message)
        self.retryable = retryable


def read_dsn(reference):
    """The DSN named by ``reference``: an environment variable name, or an absolute file path."""
    reference = (reference or "").strip()
    if not reference:
        raise SourceError(_("No DSN is configured for this connector."))
    if reference.startswith("/"):
        try:
            value = Path(reference).read_text(encoding="utf-8").strip()
        except OSError:
            raise SourceError(_("The DSN file cannot be read.")) from None
    else:
        value = os.environ.get(reference, "").strip()
    if not value:
        raise SourceError(
            _("The DSN is not set (its environment variable or file is empty or missing).")
        )
    return value


def dsn_is_set(reference):
    try:
        read_dsn(reference)
    except SourceError:
        return False
    return True


# The messages every engine's failures are told in.
def _timed_out():
    return _("The statement ran past its time limit and was cancelled; nothing was changed.")


def _locked():
    return _("A table was locked by another session past the lock time limit; nothing was changed.")


def _refused(message):
    return _("The database refused a statement: %(message)s. Nothing was changed.") % {
        "message": message
    }


def _unreachable():
    return _("The database server cannot be reached or refused the connection.")


def _postgres_message(exc):
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return _timed_out()
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return _locked()
    if primary:
        return _refused(primary)
    return _unreachable()


class Session:
    """One transaction on the source. ``write=False`` opens a read-only transaction."""

    def __init__(self, connector, *, write=False):
        self.connector = connector
        self.write = write
        self.server = ""
        self.database = ""

    def __enter__(self):
        reference = self.connector.write_dsn if self.write else self.connector.read_dsn
        self.dsn = read_dsn(reference)
        try:
            self.open()
        except Exception as exc:
            if hasattr(self, "connection"):
                self.close()
            if self.is_driver_error(exc):
                raise self.translate(exc) from None
            raise
        return self

    def __exit__(self, kind, exc, tb):
        committed = False
        try:
            if kind is None:
                self.commit()
                committed = True
            else:
                self.rollback()
        finally:
            self.release(committed=committed)
        if exc is not None and not isinstance(exc, SourceError) and self.is_driver_error(exc):
            raise self.translate(exc) from None
        return False

    def fetchall(self, statement):
        try:
            return self._fetchall(statement)
        except Exception as exc:
            if self.is_driver_error(exc):
                raise self.translate(exc) from None
            raise

    def execute(self, statement):
        """Run one statement; returns the rows it changed."""
        try:
            return self._execute(statement)
        except Exception as exc:
            if self.is_driver_error(exc):
                raise self.translate(exc) from None
            raise

    def stream(self, statement, size):
        """The statement's rows, ``size`` at a time (lists): one query, read in chunks, so a
        large table is neither held in memory at once nor re-queried page by page."""
        try:
            yield from self._stream(statement, size)
        except Exception as exc:
            if self.is_driver_error(exc):
                raise self.translate(exc) from None
            raise

    def shape(self, statement):
        return self.dialect.shape(statement, self.connection)

    def release(self, *, committed):
        """Done with the connection: closed (a driver that keeps it for the next session
        overrides this)."""
        self.close()


class PostgresSession(Session):
    dialect = Postgres()

    def open(self):
        kept = IDLE_CONNECTIONS.take(self.dsn)
        if kept is not None:
            self.connection = kept
            try:
                self._begin()
                return
            except psycopg.Error:
                # The server ended it while it waited (its idle timeout, a restart, a DBA):
                # nothing had begun in it, so a new connection takes its place.
                self.close()
        try:
            self.connection = psycopg.connect(
                self.dsn, connect_timeout=5, autocommit=False, application_name="dpo-portal"
            )
        except psycopg.Error:
            raise SourceError(_unreachable(), retryable=True) from None
        self._begin(new=True)

    def _begin(self, *, new=False):
        """Start the session's transaction: read-only unless it writes, under the connector's
        time limits (both local to the transaction, so a kept connection carries neither over
        to the next session). A new connection also gets the server's idle timeout, for the
        session (it holds once this transaction commits; if it does not, the connection is
        closed, not kept)."""
        info = self.connection.info
        self.server = f"PostgreSQL {info.server_version // 10000}.{info.server_version % 10000}"
        self.database = info.dbname
        cursor = self.connection.cursor()
        if not self.write:
            cursor.execute("SET TRANSACTION READ ONLY")
        limits = [
            "set_config('statement_timeout', %s, true)",
            "set_config('lock_timeout', %s, true)",
        ]
        values = [f"{self.connector.statement_timeout_ms}ms", f"{self.connector.lock_timeout_ms}ms"]
        if new and info.server_version >= IDLE_TIMEOUT_SINCE:
            limits.append("set_config('idle_session_timeout', %s, false)")
            values.append(f"{IDLE_SECONDS}s")
        cursor.execute("SELECT " + ", ".join(limits), values)

    def release(self, *, committed):
        # A connection whose transaction committed is kept for the next session on the same DSN
        # in this process (a worker carrying several batches out one after another saves a
        # connection each, about 10 ms); one that failed in any way is closed.
        if committed and IDLE_CONNECTIONS.keep(self.dsn, self.connection):
            return
        self.close()

    def _fetchall(self, statement):
        with self.connection.cursor() as cursor:
            cursor.execute(statement.query, statement.params)
            return cursor.fetchall()

    def _execute(self, statement):
        with self.connection.cursor() as cursor:
            cursor.execute(statement.query, statement.params)
            return cursor.rowcount

    def _stream(self, statement, size):
        # A server-side cursor: each FETCH is its own statement under the time limit.
        with self.connection.cursor(name="dpo_portal_stream") as cursor:
            cursor.itersize = size
            cursor.execute(statement.query, statement.params)
            while rows := cursor.fetchmany(size):
                yield rows

    def commit(self):
        self.connection.commit()

    def rollback(self):
        with contextlib.suppress(psycopg.Error):
            self.connection.rollback()

    def close(self):
        with contextlib.suppress(psycopg.Error):
            self.connection.close()

    def is_driver_error(self, exc):
        return isinstance(exc, psycopg.Error)

    def translate(self, exc):
        return SourceError(
            _postgres_message(exc),
            retryable=isinstance(exc, psycopg.OperationalError)
            and not isinstance(exc, psycopg.errors.QueryCanceled),
        )


# How long a finished session's PostgreSQL connection waits for the next one. The server enforces
# it too (idle_session_timeout), so the portal never holds a source's connection open for longer
# than this, busy worker or not.
IDLE_SECONDS = 30
IDLE_TIMEOUT_SINCE = 140000  # PostgreSQL 14: idle_session_timeout; older servers get none kept


class IdleConnections:
    """At most one idle PostgreSQL connection per DSN, per process: what a session that
    committed leaves for the next session on the same DSN. Never handed on across a fork (the
    socket would be shared with the parent), nor past IDLE_SECONDS, nor outside a clean idle
    state (no transaction open)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_dsn = {}  # {dsn: (pid, connection, idle since)}

    def take(self, dsn):
        with self._lock:
            entry = self._by_dsn.pop(dsn, None)
        if entry is None:
            return None
        pid, connection, since = entry
        if pid != os.getpid():
            return None  # the parent's: it closes it, not this child
        if (
            time.monotonic() - since < IDLE_SECONDS
            and not connection.closed
            and connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        ):
            return connection
        _close_quietly(connection)
        return None

    def keep(self, dsn, connection):
        """Keep ``connection`` idle for ``dsn``; False when it cannot be (the caller closes
        it): a server without an idle timeout of its own keeps none."""
        if connection.closed or connection.info.server_version < IDLE_TIMEOUT_SINCE:
            return False
        now, pid = time.monotonic(), os.getpid()
        with self._lock:
            expired = [
                key
                for key, (owner, _c, since) in self._by_dsn.items()
                if owner == pid and now - since >= IDLE_SECONDS
            ]
            stale = [self._by_dsn.pop(key)[1] for key in expired]
            previous = self._by_dsn.pop(dsn, None)
            if previous is not None and previous[0] == pid:
                stale.append(previous[1])
            self._by_dsn[dsn] = (pid, connection, now)
        for old in stale:
            _close_quietly(old)
        return True

    def close_all(self):
        with self._lock:
            entries, self._by_dsn = list(self._by_dsn.values()), {}
        for pid, connection, _since in entries:
            if pid == os.getpid():
                _close_quietly(connection)


def _close_quietly(connection):
    with contextlib.suppress(psycopg.Error):
        connection.close()


IDLE_CONNECTIONS = IdleConnections()


def _sqlite_hash(salt, value):
    if value is None:
        return None
    return hashlib.sha256(f"{salt}{value}".encode()).hexdigest()


class SQLiteSession(Session):
    dialect = SQLite()

    def open(self):
        path = (
            self.dsn.removeprefix("sqlite:///") if self.dsn.startswith("sqlite:///") else self.dsn
        )
        if not Path(path).is_file():
            raise SourceError(_("The SQLite database file does not exist."))
        mode = "rw" if self.write else "ro"
        try:
            self.connection = sqlite3.connect(
                f"file:{path}?mode={mode}",
                uri=True,
                isolation_level=None,
                timeout=self.connector.lock_timeout_ms / 1000,
            )
        except sqlite3.Error:
            raise SourceError(_("The SQLite database file cannot be opened.")) from None
        self.server = f"SQLite {sqlite3.sqlite_version}"
        self.database = Path(path).name
        self.connection.execute("PRAGMA foreign_keys = ON")
        self.connection.create_function("dpo_hash", 2, _sqlite_hash, deterministic=True)
        # SQLite has no statement timeout: a progress handler interrupts past the deadline.
        deadline = time.monotonic() + self.connector.statement_timeout_ms / 1000
        self.connection.set_progress_handler(
            lambda: 1 if time.monotonic() > deadline else 0, 10_000
        )
        self.connection.execute("BEGIN IMMEDIATE" if self.write else "BEGIN")

    def _fetchall(self, statement):
        return self.connection.execute(statement.query, statement.params).fetchall()

    def _execute(self, statement):
        return self.connection.execute(statement.query, statement.params).rowcount

    def _stream(self, statement, size):
        cursor = self.connection.execute(statement.query, statement.params)
        while rows := cursor.fetchmany(size):
            yield rows

    def commit(self):
        self.connection.execute("COMMIT")

    def rollback(self):
        with contextlib.suppress(sqlite3.Error):
            self.connection.execute("ROLLBACK")

    def close(self):
        self.connection.close()

    def is_driver_error(self, exc):
        return isinstance(exc, sqlite3.Error)

    def translate(self, exc):
        if isinstance(exc, sqlite3.OperationalError) and str(exc) == "interrupted":
            return SourceError(_timed_out())
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return SourceError(_locked(), retryable=True)
        # SQLite's messages name tables and columns ("NOT NULL constraint failed: t.c"),
        # never values.
        return SourceError(_refused(str(exc)))


MYSQL_SCHEMES = ("mysql", "mariadb")
MYSQL_OPTIONS = {"unix_socket", "ssl_ca", "ssl_cert", "ssl_key"}
# MySQL quotes values (and accounts) in single or double quotes; names are in backticks.
MYSQL_QUOTED = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"")
MYSQL_TIMED_OUT = {ER.STATEMENT_TIMEOUT, ER.QUERY_TIMEOUT, ER.QUERY_INTERRUPTED}
MYSQL_UNREACHABLE = {
    ER.ACCESS_DENIED_ERROR,
    ER.DBACCESS_DENIED_ERROR,
    CR.CR_CONNECTION_ERROR,
    CR.CR_CONN_HOST_ERROR,
    CR.CR_SERVER_GONE_ERROR,
    CR.CR_SERVER_LOST,
}


def mysql_parameters(dsn):
    """PyMySQL's connection arguments from ``mysql://user:password@host:port/database`` (or
    ``mariadb://``; ``?unix_socket=/path`` for a socket, ``ssl_ca``/``ssl_cert``/``ssl_key``
    paths for TLS). Errors never quote the DSN."""
    try:
        url = urlsplit(dsn)
        port = url.port
    except ValueError:
        raise SourceError(_("The DSN is not a valid mysql:// URL.")) from None
    if url.scheme not in MYSQL_SCHEMES or not url.path.strip("/"):
        raise SourceError(_("The DSN is not a mysql:// URL naming a database.")) from None
    options = dict(parse_qsl(url.query))
    unknown = sorted(set(options) - MYSQL_OPTIONS)
    if unknown:
        raise SourceError(
            _("The DSN has options the connector does not know: %(names)s.")
            % {"names": ", ".join(unknown)}
        )
    parameters = {
        "user": unquote(url.username or ""),
        "password": unquote(url.password or ""),
        "database": unquote(url.path.strip("/")),
        **options,
    }
    if "unix_socket" not in options:
        parameters.update(host=url.hostname or "localhost", port=port or 3306)
    return parameters


def _mysql_server(version):
    # MariaDB 10 announces itself as "5.5.5-10.11.6-MariaDB-…" to old clients.
    version = version.removeprefix("5.5.5-")
    number = version.split("-", 1)[0]
    return f"MariaDB {number}" if "mariadb" in version.lower() else f"MySQL {number}"


class MySQLSession(Session):
    """MySQL or MariaDB through PyMySQL: one transaction, ``READ ONLY`` for the read role; the
    statement time limit as MariaDB's ``max_statement_time`` (every statement) or MySQL's
    ``max_execution_time`` (SELECTs; the client's read timeout bounds the rest), row and
    metadata lock waits as ``innodb_lock_wait_timeout`` and ``lock_wait_timeout``."""

    dialect = MySQL()

    def open(self):
        parameters = mysql_parameters(self.dsn)
        statement_seconds = self.connector.statement_timeout_ms / 1000
        # A limit of 0 means none, as on PostgreSQL; the client waits a little longer than the
        # server's own limit, so that the server's answer (not a lost connection) is what comes.
        client_seconds = math.ceil(statement_seconds) + 10 if statement_seconds else None
        try:
            self.connection = pymysql.connect(
                **parameters,
                charset="utf8mb4",
                autocommit=False,
                connect_timeout=5,
                read_timeout=client_seconds,
                write_timeout=client_seconds,
                # Rows counted as matched, not only as changed, as the other engines count.
                client_flag=CLIENT.FOUND_ROWS,
                program_name="dpo-portal",
            )
        except pymysql.MySQLError:
            raise SourceError(_unreachable(), retryable=True) from None
        self.server = _mysql_server(self.connection.get_server_info())
        self.database = parameters["database"]
        # Whole seconds, at least one (the servers' unit and minimum); 0: the largest they take.
        lock_ms = self.connector.lock_timeout_ms
        lock_seconds = max(1, math.ceil(lock_ms / 1000)) if lock_ms else 31_536_000
        with self.connection.cursor() as cursor:
            if self.server.startswith("MariaDB"):
                limit, value = "max_statement_time", statement_seconds
            else:
                limit, value = "max_execution_time", self.connector.statement_timeout_ms
            cursor.execute(
                f"SET SESSION {limit} = %s, innodb_lock_wait_timeout = %s, lock_wait_timeout = %s",
                [value, lock_seconds, lock_seconds],
            )
            cursor.execute(
                "START TRANSACTION READ WRITE" if self.write else "START TRANSACTION READ ONLY"
            )

    def _fetchall(self, statement):
        with self.connection.cursor() as cursor:
            cursor.execute(statement.query, statement.params)
            return list(cursor.fetchall())

    def _execute(self, statement):
        with self.connection.cursor() as cursor:
            return cursor.execute(statement.query, statement.params)

    def _stream(self, statement, size):
        # An unbuffered cursor: rows arrive from the server as they are read, not all at once.
        with self.connection.cursor(pymysql.cursors.SSCursor) as cursor:
            cursor.execute(statement.query, statement.params)
            while rows := cursor.fetchmany(size):
                yield rows

    def commit(self):
        self.connection.commit()

    def rollback(self):
        with contextlib.suppress(pymysql.MySQLError):
            self.connection.rollback()

    def close(self):
        with contextlib.suppress(pymysql.MySQLError):
            self.connection.close()

    def is_driver_error(self, exc):
        return isinstance(exc, pymysql.MySQLError)

    def translate(self, exc):
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        if code in MYSQL_TIMED_OUT:
            return SourceError(_timed_out())
        if code == ER.LOCK_WAIT_TIMEOUT:
            return SourceError(_locked(), retryable=True)
        if code in MYSQL_UNREACHABLE or code is None:
            return SourceError(_unreachable(), retryable=True)
        message = MYSQL_QUOTED.sub("'…'", str(exc.args[1]) if len(exc.args) > 1 else "")
        return SourceError(_refused(message.rstrip(".")), retryable=code == ER.LOCK_DEADLOCK)


SESSIONS = {"postgresql": PostgresSession, "mysql": MySQLSession, "sqlite": SQLiteSession}


def session(connector, *, write=False):
    if connector.kind not in SESSIONS:
        raise SourceError(_("This connector is answered through the API, not a database."))
    return SESSIONS[connector.kind](connector, write=write)


def test_connection(connector):
    """A harmless query on the read-only DSN: (server, database) or SourceError."""
    with session(connector) as source:
        source.fetchall(Statement("SELECT 1", []))
        return source.server, source.database
