import contextlib
import os
import threading
import uuid

import psycopg
import pymysql
import pytest
from psycopg import sql

from dpo_portal.connectors.engine import mysql_parameters
from tests.connectors.source import make_sqlite_source, seed


def _holding(connect, lock):
    """A context manager holding a row lock from another session (``lock(connection)``) until
    it exits: the source busy with another program's transaction."""

    @contextlib.contextmanager
    def hold():
        locked, release = threading.Event(), threading.Event()

        def run():
            connection = connect()
            try:
                lock(connection)
                locked.set()
                release.wait(30)
            finally:
                connection.rollback()
                connection.close()

        blocker = threading.Thread(target=run)
        blocker.start()
        try:
            assert locked.wait(10)
            yield
        finally:
            release.set()
            blocker.join()

    return hold


@pytest.fixture
def pg_source(monkeypatch):
    """A second database in the test cluster holding the loan system, a read-only role for the
    sync and the preview and a write role for erasure; their DSNs in the connector's variables.
    Yields a function that runs a query on it as its owner (the tests' direct SQL)."""
    admin = psycopg.conninfo.conninfo_to_dict(os.environ["DATABASE_URL"])
    suffix = uuid.uuid4().hex[:10]
    name, reader, writer = f"loans_{suffix}", f"loans_reader_{suffix}", f"loans_writer_{suffix}"
    with psycopg.connect(**admin, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        for role in (reader, writer):
            connection.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'source-test'").format(sql.Identifier(role))
            )
    owner = {**admin, "dbname": name}
    with psycopg.connect(**owner, autocommit=True) as connection:
        seed(lambda q, p: connection.execute(q, p or None), "%s")
        connection.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(
                sql.Identifier(reader)
            )
        )
        connection.execute(
            sql.SQL("GRANT SELECT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
                sql.Identifier(writer)
            )
        )

    def dsn(role):
        return psycopg.conninfo.make_conninfo(
            host=admin.get("host"),
            port=admin.get("port"),
            dbname=name,
            user=role,
            password="source-test",
        )

    monkeypatch.setenv("SOURCE_READ_DSN", dsn(reader))
    monkeypatch.setenv("SOURCE_WRITE_DSN", dsn(writer))

    def query(text, params=()):
        with psycopg.connect(**owner, autocommit=True) as connection:
            cursor = connection.execute(text, params or None)
            return cursor.fetchall() if cursor.description else []

    query.kind = "postgresql"
    query.owner = owner
    query.tables = lambda: {
        row[0] for row in query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    }
    query.hold_customer_row = _holding(
        lambda: psycopg.connect(**owner),
        lambda c: c.execute("SELECT * FROM customers WHERE id = 1 FOR UPDATE"),
    )
    query.unreachable_dsn = "postgresql://nobody@127.0.0.1:1/none"
    query.denied = "permission denied"
    query.database = name
    yield query
    with psycopg.connect(**admin, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        for role in (reader, writer):
            connection.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.fixture
def mysql_source(monkeypatch):
    """The loan system in a database of the suite's MariaDB server (tests/services.sh), with a
    read-only user (SELECT) and a write user (SELECT, UPDATE, DELETE) as the README documents;
    their DSNs in the connector's variables. Its ``query`` runs as the server's root with
    ANSI_QUOTES, so the tests' direct SQL reads the same on every engine (the connector itself
    uses MySQL's backticks)."""
    admin = mysql_parameters(os.environ["MYSQL_ADMIN_URL"].rstrip("/") + "/mysql")
    suffix = uuid.uuid4().hex[:10]
    name, reader, writer = f"loans_{suffix}", f"loans_reader_{suffix}", f"loans_writer_{suffix}"

    def connect(database=name, *, ansi=True):
        connection = pymysql.connect(**{**admin, "database": database}, charset="utf8mb4")
        if ansi:
            with connection.cursor() as cursor:
                cursor.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')")
        return connection

    with contextlib.closing(connect("mysql", ansi=False)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            for user, privileges in ((reader, "SELECT"), (writer, "SELECT, UPDATE, DELETE")):
                cursor.execute(f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY 'source-test'")
                cursor.execute(f"GRANT {privileges} ON `{name}`.* TO '{user}'@'127.0.0.1'")
    with contextlib.closing(connect()) as connection:
        with connection.cursor() as cursor:
            seed(lambda q, p: cursor.execute(q, p or None), "%s")
        connection.commit()

    def dsn(user):
        return f"mysql://{user}:source-test@{admin['host']}:{admin['port']}/{name}"

    monkeypatch.setenv("SOURCE_READ_DSN", dsn(reader))
    monkeypatch.setenv("SOURCE_WRITE_DSN", dsn(writer))

    def query(text, params=()):
        with contextlib.closing(connect()) as connection:
            with connection.cursor() as cursor:
                cursor.execute(text, params or None)
                rows = [tuple(row) for row in cursor.fetchall()] if cursor.description else []
            connection.commit()
            return rows

    query.kind = "mysql"
    query.tables = lambda: {
        row[0]
        for row in query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [name]
        )
    }
    query.hold_customer_row = _holding(
        connect, lambda c: c.cursor().execute("SELECT * FROM customers WHERE id = 1 FOR UPDATE")
    )
    query.unreachable_dsn = "mysql://nobody@127.0.0.1:1/none"
    query.denied = "command denied"
    query.database = name
    yield query
    with contextlib.closing(connect("mysql", ansi=False)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE `{name}`")
            for user in (reader, writer):
                cursor.execute(f"DROP USER '{user}'@'127.0.0.1'")


@pytest.fixture
def sqlite_source(tmp_path, monkeypatch):
    import sqlite3

    path = tmp_path / "loans.sqlite3"
    make_sqlite_source(path)
    monkeypatch.setenv("SOURCE_READ_DSN", f"sqlite:///{path}")
    monkeypatch.setenv("SOURCE_WRITE_DSN", f"sqlite:///{path}")

    def query(text, params=()):
        connection = sqlite3.connect(path)
        try:
            rows = connection.execute(text, params).fetchall()
            connection.commit()  # a change at the source, as the PostgreSQL helper's autocommit
            return rows
        finally:
            connection.close()

    return query
