import os
import uuid

import psycopg
import pytest
from psycopg import sql

from tests.connectors.source import make_sqlite_source, seed


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
        seed(lambda q, p: connection.execute(q, p), "%s")
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
            cursor = connection.execute(text, params)
            return cursor.fetchall() if cursor.description else []

    query.owner = owner
    yield query
    with psycopg.connect(**admin, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        for role in (reader, writer):
            connection.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


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
