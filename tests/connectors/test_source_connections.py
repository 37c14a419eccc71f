"""A PostgreSQL source's connection outlives one session for a short while: sessions one after
another in a process (a worker carrying several disposal batches out) share it, while each keeps
its own transaction, role and time limits; one that failed is never handed on, one the server
ended is replaced without an error, and none is held past the idle limit."""

import time

import pytest

from dpo_portal.connectors import engine
from dpo_portal.connectors.engine import SourceError
from dpo_portal.connectors.statements import Statement
from tests.connectors.source import connect
from tests.requests.fulfilment_helpers import dpo_and_organisation

pytestmark = pytest.mark.django_db

BACKEND = Statement("SELECT pg_backend_pid()", [])


@pytest.fixture
def connector(pg_source):
    organisation, _dpo = dpo_and_organisation()
    yield connect(organisation, kind="postgresql")
    engine.IDLE_CONNECTIONS.close_all()


def backend(connector, *, write=False):
    with engine.session(connector, write=write) as source:
        return source.fetchall(BACKEND)[0][0]


def test_sessions_one_after_another_share_one_connection(connector):
    assert backend(connector) == backend(connector)
    assert backend(connector, write=True) == backend(connector, write=True)


def test_a_kept_connection_still_opens_a_read_only_session_after_a_write(connector, pg_source):
    # One DSN for both roles: the write session's connection is the one the next read takes.
    connector.read_dsn = connector.write_dsn
    written = backend(connector, write=True)
    with pytest.raises(SourceError, match="read-only"):
        with engine.session(connector) as source:
            assert source.fetchall(BACKEND)[0][0] == written
            source.execute(Statement("UPDATE calls SET phone = NULL", []))
    assert pg_source("SELECT count(*) FROM calls WHERE phone IS NULL") == [(0,)]


def test_a_session_that_failed_does_not_hand_its_connection_on(connector):
    with pytest.raises(SourceError):
        with engine.session(connector) as source:
            failed = source.fetchall(BACKEND)[0][0]
            source.fetchall(Statement("SELECT * FROM no_such_table", []))
    assert backend(connector) != failed


def test_a_connection_the_server_ended_is_replaced_without_an_error(connector, pg_source):
    ended = backend(connector)
    pg_source("SELECT pg_terminate_backend(%s)", [ended])
    assert backend(connector) != ended


def test_the_time_limits_are_each_session_s_own(connector):
    connector.statement_timeout_ms = 200
    with pytest.raises(SourceError, match="time limit"):
        with engine.session(connector) as source:
            source.fetchall(Statement("SELECT pg_sleep(1)", []))
    backend(connector)  # leaves its connection idle for the next
    connector.statement_timeout_ms = 5_000
    with engine.session(connector) as source:
        source.fetchall(Statement("SELECT pg_sleep(0.3)", []))


def test_an_idle_connection_is_not_held_past_the_idle_limit(connector, pg_source, monkeypatch):
    monkeypatch.setattr(engine, "IDLE_SECONDS", 1)
    idle = backend(connector)
    time.sleep(1.5)
    # The server ended it itself (its idle_session_timeout), not the portal's next session.
    assert pg_source("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [idle]) == [(0,)]
    assert backend(connector) != idle
