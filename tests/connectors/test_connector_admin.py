"""The connector's admin page: whether each DSN is set (never the DSN), a test connection that
reports the server or the error, and another organisation's connector answering 404."""

import pytest
from django.urls import reverse

from tests.connectors.source import connect
from tests.factories import make_organisation
from tests.requests.fulfilment_helpers import dpo_and_organisation

pytestmark = pytest.mark.django_db


def test_the_page_says_whether_the_dsn_is_set_and_tests_the_connection(
    client, sqlite_source, monkeypatch
):
    organisation, dpo = dpo_and_organisation()
    connector = connect(organisation, kind="sqlite")
    monkeypatch.delenv("SOURCE_WRITE_DSN")
    client.force_login(dpo)
    page = client.get(reverse("admin:connectors_connector_change", args=[connector.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "field-read_dsn_set" in html and "icon-yes.svg" in html
    assert "icon-no.svg" in html  # the write DSN is not set
    assert "sqlite:///" not in html  # the DSN itself is never shown

    answer = client.post(
        reverse("admin:connectors_connector_test", args=[connector.pk]), follow=True
    )
    assert "Connected: SQLite" in answer.content.decode()


def test_a_missing_database_file_is_reported_on_test_connection(client, monkeypatch):
    organisation, dpo = dpo_and_organisation()
    connector = connect(organisation, kind="sqlite")
    monkeypatch.setenv("SOURCE_READ_DSN", "sqlite:////nonexistent/loans.sqlite3")
    client.force_login(dpo)
    answer = client.post(
        reverse("admin:connectors_connector_test", args=[connector.pk]), follow=True
    )
    assert "The SQLite database file does not exist." in answer.content.decode()


def test_another_organisation_s_connector_answers_404(client):
    organisation, dpo = dpo_and_organisation()
    other = make_organisation("other-org")
    connector = connect(other, kind="sqlite")
    client.force_login(dpo)
    assert (
        client.get(reverse("admin:connectors_connector_change", args=[connector.pk])).status_code
        == 404
    )
    assert (
        client.post(reverse("admin:connectors_connector_test", args=[connector.pk])).status_code
        == 404
    )
