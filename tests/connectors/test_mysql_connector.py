"""What only the MySQL/MariaDB connector has to get right, against the suite's MariaDB server:
its DSN (a URL, a socket, a password needing escapes), names with backticks and percent signs
(PyMySQL fills parameters with Python's % operator), and the server's messages, which quote
values."""

import os
from urllib.parse import quote

import pymysql
import pytest

from dpo_portal.connectors import engine
from dpo_portal.connectors import services as connectors
from dpo_portal.connectors.statements import Statement, select_fields
from tests.connectors.source import categories, connect
from tests.requests.fulfilment_helpers import dpo_and_organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def connector(mysql_source):
    organisation, dpo = dpo_and_organisation()
    categories(organisation)
    return connect(organisation, kind="mysql"), dpo, mysql_source


def _admin():
    return pymysql.connect(
        **engine.mysql_parameters(os.environ["MYSQL_ADMIN_URL"].rstrip("/") + "/mysql"),
        autocommit=True,
    )


def test_test_connection_through_the_server_s_socket(connector, monkeypatch):
    connector, dpo, query = connector
    monkeypatch.setenv(
        "SOURCE_READ_DSN",
        f"mysql://root@localhost/{query.database}?unix_socket={os.environ['MYSQL_SOCKET']}",
    )
    ok, message = connectors.test_connection(connector, actor=dpo)
    assert ok, message
    assert message.startswith("Connected: MariaDB 1") and query.database in message


def test_a_password_with_url_characters_is_read_from_its_escaped_form(connector, monkeypatch):
    connector, dpo, query = connector
    password = "p@ss:w/rd%?#&"
    with _admin() as admin, admin.cursor() as cursor:
        cursor.execute("CREATE USER 'odd_reader'@'127.0.0.1' IDENTIFIED BY %s", [password])
        cursor.execute(f"GRANT SELECT ON `{query.database}`.* TO 'odd_reader'@'127.0.0.1'")
    try:
        host, port = os.environ["MYSQL_HOST"], os.environ["MYSQL_PORT"]
        monkeypatch.setenv(
            "SOURCE_READ_DSN",
            f"mariadb://odd_reader:{quote(password, safe='')}@{host}:{port}/{query.database}",
        )
        ok, message = connectors.test_connection(connector, actor=dpo)
        assert ok, message
        assert password not in message
    finally:
        with _admin() as admin, admin.cursor() as cursor:
            cursor.execute("DROP USER 'odd_reader'@'127.0.0.1'")


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("postgresql://loans:secret-pw@127.0.0.1/loans", "not a mysql:// URL"),
        ("mysql://loans:secret-pw@127.0.0.1:3306/", "not a mysql:// URL naming a database"),
        ("mysql://loans:secret-pw@127.0.0.1:99999999/loans", "not a valid mysql:// URL"),
        ("mysql://loans:secret-pw@127.0.0.1/loans?init_command=DROP", "init_command"),
    ],
)
def test_a_dsn_the_connector_cannot_use_is_refused_without_quoting_it(
    connector, monkeypatch, dsn, expected
):
    connector, dpo, query = connector
    monkeypatch.setenv("SOURCE_READ_DSN", dsn)
    ok, message = connectors.test_connection(connector, actor=dpo)
    assert not ok
    assert expected in message
    assert "secret-pw" not in message and "127.0.0.1" not in message


def test_the_server_s_message_is_kept_without_the_value_and_the_change_rolled_back(connector):
    connector, dpo, query = connector
    with pytest.raises(engine.SourceError) as refused:
        with engine.session(connector, write=True) as source:
            source.execute(Statement("UPDATE calls SET phone = NULL WHERE id = %s", [1000]))
            # Strict mode refuses the value, and MariaDB's message quotes it.
            source.execute(
                Statement("UPDATE customers SET created_on = %s WHERE id = 1", ["AF-1001"])
            )
    message = str(refused.value)
    assert "Incorrect date value" in message and "created_on" in message
    assert "AF-1001" not in message
    assert query("SELECT phone FROM calls WHERE id = 1000") == [("+994500000000",)]


def test_names_with_backticks_and_percent_signs_are_quoted_for_the_driver(connector):
    connector, dpo, query = connector
    name = "100% `sure`"
    table, column = "`100% ``sure```", "`100% ``sure``x`"  # MySQL's own quoting, by hand
    query(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, {column} TEXT)")
    query(f"INSERT INTO {table} VALUES (1, 'kept'), (2, 'other')")
    with engine.session(connector) as source:
        (statement,) = select_fields(source.dialect, name, "id", [1], ["id", f"{name}x"])
        assert source.fetchall(statement) == [(1, "kept")]
        assert source.shape(statement).startswith("SELECT `id`, `100% ``sure``x` FROM")
