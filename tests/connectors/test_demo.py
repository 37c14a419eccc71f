"""The demo's loan system: a real SQLite database under var/ with AllAll's demo people, connected
with its Fides map, so a deletion previewed there counts their rows and running it removes them."""

import io
import random
import sqlite3

import pytest

from dpo_portal.connectors import demo, services
from dpo_portal.connectors.models import Connector
from dpo_portal.register import demo as register_demo
from dpo_portal.register.models import DataSubject

pytestmark = pytest.mark.django_db


def test_the_demo_connects_allall_s_loan_system_to_a_real_database(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    random.seed(1)
    register_demo.load(stdout=io.StringIO(), subjects_per_organisation=30)
    demo.load(stdout=io.StringIO(), subjects_per_organisation=30)
    demo.load(stdout=io.StringIO(), subjects_per_organisation=30)  # twice adds nothing

    connector = Connector.objects.get(system__code="core-loans", organisation__slug="allall")
    assert str(tmp_path) in connector.read_dsn  # a file holding the DSN, not the DSN
    person = DataSubject.objects.filter(organisation__slug="allall").order_by("pk").first()
    plans = {p.table: p for p in services.preview(connector, [person])}
    source = sqlite3.connect(tmp_path / "demo-loans.sqlite3")
    (loans,) = source.execute(
        "SELECT count(*) FROM loans JOIN customers ON customers.id = loans.customer_id"
        " WHERE customers.customer_ref = ?",
        [person.external_ref],
    ).fetchone()
    assert plans["loans"].matched == loans >= 1
    assert plans["customers"].matched == 1

    services.erase(connector, [person])
    assert source.execute(
        "SELECT count(*) FROM calls JOIN customers ON customers.id = calls.customer_id"
        " WHERE customers.fin = ?",
        [person.fin],
    ).fetchone() == (0,)
    assert source.execute("SELECT count(*) FROM customers WHERE fin IS NULL").fetchone() == (1,)
