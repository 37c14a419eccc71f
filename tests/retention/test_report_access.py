"""Who reads the retention report: every role of the organisation, the Manager included, while the
Manager reaches no page of a record or a data subject (403 on each), only aggregates."""

import pytest
from django.urls import reverse

from dpo_portal.register.models import Role
from retention.models import RecordStatus
from retention.snapshots import take_snapshots
from tests.factories import make_organisation, make_user
from tests.register.helpers import log_in
from tests.retention.test_report import build_inventory, days_ago, make_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return make_organisation(name="Homemark Bank")


@pytest.fixture
def record(home):
    inventory = build_inventory(home, "Homemark")
    return make_record(
        home,
        inventory["systems"][0],
        inventory["categories"][0],
        RecordStatus.DUE,
        expires_on=days_ago(3),
    )


def pages_of_people(record):
    """Every admin page of a record or a data subject, with the method a person would use."""
    subject = record.subject
    return [
        ("get", reverse("admin:retention_record_changelist")),
        ("get", reverse("admin:retention_record_change", args=[record.pk])),
        ("get", reverse("admin:retention_record_history", args=[record.pk])),
        ("get", reverse("admin:retention_record_delete", args=[record.pk])),
        ("get", reverse("admin:retention_record_import")),
        ("get", reverse("admin:register_datasubject_changelist")),
        ("get", reverse("admin:register_datasubject_change", args=[subject.pk])),
        ("get", reverse("admin:register_datasubject_history", args=[subject.pk])),
        ("get", reverse("admin:register_datasubject_delete", args=[subject.pk])),
        ("get", reverse("admin:register_datasubject_add")),
        ("get", reverse("admin:register_datasubject_export")),
        ("post", reverse("admin:register_datasubject_export")),
        ("get", reverse("admin:register_datasubject_import")),
    ]


def test_a_manager_gets_403_on_every_record_and_data_subject_page(client, home, record):
    manager = make_user(Role.MANAGER, home)
    log_in(client, manager)

    answers = {
        url: getattr(client, method)(url).status_code for method, url in pages_of_people(record)
    }

    assert answers == dict.fromkeys(answers, 403)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_of_the_organisation_reads_the_report(client, home, record, role):
    user = make_user(role, home)

    response = log_in(client, user).get(reverse("admin:retention_report"))

    assert response.status_code == 200
    assert "Homemark core banking" in response.content.decode()


def test_the_report_is_linked_from_the_dashboard_with_overdue_records_by_system(
    client, home, record
):
    manager = make_user(Role.MANAGER, home)
    take_snapshots()  # the evening's figures, which the panel reads

    dashboard = log_in(client, manager).get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")

    page = dashboard.content.decode()
    assert reverse("admin:retention_report") in page
    assert reverse("admin:retention_retentionreport_changelist") in page  # the app list's entry
    assert "Overdue records by system" in page
    # Core banking holds three due records (the oldest 40 days past its expiry), the CRM one.
    overdue = {row["system__name"]: row["count"] for row in _panel(dashboard)["overdue"]}
    assert overdue == {"Homemark core banking": 3, "Homemark CRM": 1}


def test_a_staff_user_without_a_role_gets_403_on_the_report(client, home, record):
    outsider = make_user(None)

    response = log_in(client, outsider).get(reverse("admin:retention_report"))

    assert response.status_code == 403


def _panel(response):
    return next(p.context for p in response.context["panels"] if p.title == "Retention")
