"""The register-completeness panel counts the gaps, and each count links to a list of exactly
those entries."""

import pytest

from dpo_portal.register.models import Role
from tests.factories import make_category, make_organisation, make_recipient, make_system, make_user
from tests.register.helpers import log_in

pytestmark = pytest.mark.django_db


def test_unused_categories_are_counted_and_listed_by_the_dashboard_link(client):
    home = make_organisation("home")
    dpo = make_user(Role.DPO, home)
    held = make_category(home, name="Held in a system")
    make_system(home).categories.add(held)
    received = make_category(home, name="Received by a recipient")
    make_recipient(home).categories.add(received)
    parent = make_category(home, name="Parent of another")
    make_category(home, name="Child never used", parent=parent)
    make_category(home, name="Orphan never used")
    make_category(make_organisation("other"), name="Other organisation's unused")

    log_in(client, dpo)
    panel_rows = client.get("/admin/").context["panels"][0].context["rows"]
    label, count, link = next(row for row in panel_rows if "used nowhere" in str(row[0]))
    assert count == 2

    changelist = client.get(f"/admin/{link}").context["cl"]
    assert sorted(c.name for c in changelist.result_list) == [
        "Child never used",
        "Orphan never used",
    ]
