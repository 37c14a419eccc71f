"""The retention admin pages: a record list that stays cheap, holds placed and released from the
admin, and disposal decisions reserved to the DPO."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import Role
from retention import sweep
from retention.models import BatchStatus, DisposalBatch, LegalHold, Record
from tests.factories import make_category, make_subject, make_system, make_user
from tests.register.helpers import log_in

from .helpers import make_record, retention_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    organisation, system, category, rule = retention_world()
    for _ in range(3):
        make_system(organisation)
        make_category(organisation)
    return organisation, system, category, rule


def _records(organisation, system, category, rule, count):
    for _ in range(count):
        make_record(organisation, system=system, category=category, rule=rule)


def test_the_record_list_costs_the_same_few_queries_for_any_number_of_rows(client, world):
    organisation, system, category, rule = world
    dpo = make_user(Role.DPO, organisation)
    log_in(client, dpo)
    url = reverse("admin:retention_record_changelist")
    _records(organisation, system, category, rule, 3)
    client.get(url)  # warm the content-type and permission caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _records(organisation, system, category, rule, 40)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url + f"?status=active&system__id__exact={system.pk}")
    assert page.status_code == 200
    assert len(many) <= 12
    assert len(few) <= 12
    assert page.content.decode().count('class="field-external_id"') == 43


def test_a_dpo_places_a_hold_from_the_admin_and_releases_it(client, world):
    organisation, system, _category, _rule = world
    dpo = make_user(Role.DPO, organisation)
    log_in(client, dpo)

    response = client.post(
        reverse("admin:retention_legalhold_add"),
        {
            "organisation": organisation.pk,
            "system": system.pk,
            "reason": "Tax audit",
            "reference": "VX-2026-1",
            "until": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    hold = LegalHold.objects.get()
    assert (hold.system, hold.placed_by) == (system, dpo)
    response = client.post(
        reverse("admin:retention_legalhold_release", args=[hold.pk]), {"reason": "Audit closed"}
    )
    assert response.status_code == 302
    hold.refresh_from_db()
    assert hold.released_by == dpo
    assert AuditEvent.objects.filter(action="retention.hold_released").exists()


def test_a_hold_on_two_targets_is_refused(client, world):
    organisation, system, category, _rule = world
    log_in(client, make_user(Role.DPO, organisation))
    response = client.post(
        reverse("admin:retention_legalhold_add"),
        {
            "organisation": organisation.pk,
            "system": system.pk,
            "category": category.pk,
            "reason": "x",
        },
    )
    assert response.status_code == 200
    assert "exactly one" in response.content.decode()
    assert not LegalHold.objects.exists()


def test_only_the_dpo_sees_the_decision_buttons_and_may_approve(client, world):
    organisation, system, category, rule = world
    _records(organisation, system, category, rule, 2)
    sweep.sweep_inline(today=datetime.date(2026, 11, 22))
    batch = DisposalBatch.objects.get()
    review = reverse("admin:retention_disposalbatch_change", args=[batch.pk])
    approve = reverse("admin:retention_disposalbatch_approve", args=[batch.pk])

    log_in(client, make_user(Role.AUDITOR, organisation))
    assert client.get(review).status_code == 200
    assert "Approve disposal" not in client.get(review).content.decode()
    assert client.post(approve).status_code == 403

    log_in(client, make_user(Role.COMPLIANCE, organisation))
    assert client.get(review).status_code == 403

    log_in(client, make_user(Role.DPO, organisation))
    page = client.get(review).content.decode()
    assert "Approve disposal" in page
    assert page.count("<tr><td>") == 2  # the sample: two records, ids only
    assert client.get(approve).status_code == 200
    assert client.post(approve).status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPROVED
    assert Record.objects.filter(status="disposed").count() == 2


def test_another_organisations_batch_answers_404(client, world):
    organisation, system, category, rule = world
    _records(organisation, system, category, rule, 1)
    sweep.sweep_inline(today=datetime.date(2026, 11, 22))
    batch = DisposalBatch.objects.get()
    stranger_org, *_ = retention_world()
    log_in(client, make_user(Role.DPO, stranger_org))
    assert (
        client.get(reverse("admin:retention_disposalbatch_change", args=[batch.pk])).status_code
        == 404
    )
    assert (
        client.post(reverse("admin:retention_disposalbatch_approve", args=[batch.pk])).status_code
        == 404
    )


def test_the_import_page_starts_a_job(client, world, django_capture_on_commit_callbacks):
    organisation, *_ = world
    subject = make_subject(organisation)
    log_in(client, make_user(Role.DPO, organisation))
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "records.csv",
        (
            "subject_ref,system,category,external_id,collected_at\n"
            f"{subject.external_ref},core,txn,X-1,2020-01-01\n"
        ).encode(),
    )
    response = client.post(
        reverse("admin:retention_record_import"),
        {"organisation": organisation.pk, "file": upload},
    )
    assert response.status_code == 302
    assert "/admin/jobs/job/" in response["Location"]


def test_the_sweep_button_is_for_the_dpo_and_the_command_runs_it_too(client, world):
    import io

    from django.core.management import call_command

    organisation, system, category, rule = world
    _records(organisation, system, category, rule, 2)
    url = reverse("admin:retention_record_sweep")
    log_in(client, make_user(Role.AUDITOR, organisation))
    assert client.get(url).status_code == 403
    log_in(client, make_user(Role.DPO, organisation))
    assert "Run the sweep" in client.get(url).content.decode()

    out = io.StringIO()
    call_command("run_sweep", "--inline", "--today", "2026-11-22", stdout=out)

    assert "due: 2" in out.getvalue()
    assert DisposalBatch.objects.get().record_count == 2
    assert AuditEvent.objects.filter(action="retention.sweep_finished").exists()


def test_every_retention_page_a_dpo_opens_renders(client, world):
    organisation, system, category, rule = world
    _records(organisation, system, category, rule, 2)
    sweep.sweep_inline(today=datetime.date(2026, 11, 22))
    batch = DisposalBatch.objects.get()
    record = Record.objects.first()
    hold = LegalHold.objects.create(organisation=organisation, record=record, reason="Case")
    log_in(client, make_user(Role.DPO, organisation))
    pages = [
        reverse("admin:retention_retentionrule_changelist"),
        reverse("admin:retention_retentionrule_add"),
        reverse("admin:retention_retentionrule_change", args=[rule.pk]),
        reverse("admin:retention_record_changelist") + "?q=" + record.external_id,
        reverse("admin:retention_record_change", args=[record.pk]),
        reverse("admin:retention_record_import"),
        reverse("admin:retention_legalhold_changelist"),
        reverse("admin:retention_legalhold_add"),
        reverse("admin:retention_legalhold_change", args=[hold.pk]),
        reverse("admin:retention_legalhold_release", args=[hold.pk]),
        reverse("admin:retention_disposalbatch_changelist"),
        reverse("admin:retention_disposalbatch_extend", args=[batch.pk]),
        reverse("admin:retention_disposalbatch_reject", args=[batch.pk]),
        reverse("admin:retention_disposalbatch_history", args=[batch.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert "Release the hold" in client.get(pages[8]).content.decode()


def test_extend_from_the_admin_needs_a_justification_and_a_future_date(client, world):
    organisation, system, category, rule = world
    _records(organisation, system, category, rule, 1)
    sweep.sweep_inline(today=datetime.date(2026, 11, 22))
    batch = DisposalBatch.objects.get()
    log_in(client, make_user(Role.DPO, organisation))
    url = reverse("admin:retention_disposalbatch_extend", args=[batch.pk])

    assert client.post(url, {"until": "2000-01-01", "justification": ""}).status_code == 200
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PENDING

    later = (datetime.date.today() + datetime.timedelta(days=90)).isoformat()
    assert client.post(url, {"until": later, "justification": "Tax audit"}).status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.extended_until.isoformat()) == (BatchStatus.EXTENDED, later)
