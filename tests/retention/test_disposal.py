"""Disposal review: approval disposes exactly the batch's records, honours holds placed after
batching, scrubs the people left with nothing, and issues a certificate without personal data."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import DataSubject, Role
from retention import services, sweep
from retention.models import BatchStatus, DisposalBatch, EndAction, Record, RecordStatus
from tests.factories import make_subject, make_user
from tests.register.helpers import log_in

from .helpers import make_activity, make_consent, make_record, retention_world

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 22)


@pytest.fixture
def world():
    organisation, system, category, rule = retention_world()
    subjects = [make_subject(organisation) for _ in range(3)]
    in_batch = [
        make_record(organisation, subject=subject, system=system, category=category, rule=rule)
        for subject in subjects
    ]
    # The third person also has a record that is not due: they must not be erased.
    running = make_record(
        organisation,
        subject=subjects[2],
        system=system,
        category=category,
        rule=rule,
        collected_at=datetime.date(2025, 6, 1),
    )
    sweep.sweep_inline(today=TODAY)
    batch = DisposalBatch.objects.get()
    dpo = make_user(Role.DPO, organisation)
    return {
        "organisation": organisation,
        "rule": rule,
        "subjects": subjects,
        "in_batch": in_batch,
        "running": running,
        "batch": batch,
        "dpo": dpo,
    }


def test_approval_disposes_exactly_the_batch_records(world):
    outside = world["running"]
    batch = services.approve_batch(world["batch"], actor=world["dpo"])

    assert batch.status == BatchStatus.APPROVED
    assert batch.disposed_count == 3
    disposed = set(Record.objects.filter(status=RecordStatus.DISPOSED).values_list("pk", flat=True))
    assert disposed == {r.pk for r in world["in_batch"]}
    assert (
        set(Record.objects.filter(disposal_action=EndAction.ERASE).values_list("pk", flat=True))
        == disposed
    )
    outside.refresh_from_db()
    assert outside.status == RecordStatus.ACTIVE


def test_people_left_without_records_are_erased_from_the_portal_with_their_evidence(world):
    first, _second, third = world["subjects"]
    activity = make_activity(world["organisation"])
    consent = make_consent(first, activity, evidence_reference="SCAN-77")

    services.approve_batch(world["batch"], actor=world["dpo"])

    first.refresh_from_db()
    third.refresh_from_db()
    consent.refresh_from_db()
    assert first.is_erased and first.fin == "" and first.last_name == ""
    assert consent.evidence_reference == ""
    assert DataSubject.history.filter(id=first.pk, fin__gt="").count() == 0
    assert not third.is_erased  # still has a running record


def test_a_hold_placed_after_batching_keeps_its_records_out(world):
    kept = world["in_batch"][0]
    services.place_hold(
        organisation=world["organisation"],
        actor=world["dpo"],
        reason="Court order",
        reference="2-123/2026",
        subject=kept.subject,
    )

    batch = services.approve_batch(world["batch"], actor=world["dpo"])

    kept.refresh_from_db()
    assert kept.status == RecordStatus.ON_HOLD
    assert kept.disposal_batch is None
    assert (batch.disposed_count, batch.kept_on_hold_count) == (2, 1)
    kept.subject.refresh_from_db()
    assert not kept.subject.is_erased


def test_the_certificate_names_the_rule_and_count_but_no_person(client, world):
    batch = services.approve_batch(world["batch"], actor=world["dpo"])
    log_in(client, world["dpo"])

    page = client.get(reverse("admin:retention_disposalbatch_certificate", args=[batch.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert batch.certificate_number in text
    assert "Tax Code art. 71.4" in text
    assert ">3<" in text
    # Erased now, but check the identifiers they had against the page all the same.
    for record in world["in_batch"]:
        assert record.subject.fin not in text
        assert record.subject.last_name not in text
        assert record.subject.external_ref not in text
        assert record.subject.email not in text
        assert record.external_id not in text


def test_only_a_dpo_may_approve(world):
    from tests.factories import make_user as user_with

    auditor = user_with(Role.AUDITOR, world["organisation"])
    with pytest.raises(PermissionDenied):
        services.approve_batch(world["batch"], actor=auditor)
    assert DisposalBatch.objects.get().status == BatchStatus.PENDING


def test_extend_postpones_and_reject_keeps_the_records(world):
    later = TODAY + datetime.timedelta(days=400)
    batch = services.extend_batch(
        world["batch"], actor=world["dpo"], justification="Audit pending", until=later
    )
    assert (batch.status, batch.extended_until) == (BatchStatus.EXTENDED, later)
    assert not DisposalBatch.objects.awaiting_decision(on=TODAY).exists()
    assert DisposalBatch.objects.awaiting_decision(on=later).exists()

    batch = services.reject_batch(batch, actor=world["dpo"], justification="Still needed")
    assert batch.status == BatchStatus.REJECTED
    assert not Record.objects.filter(status=RecordStatus.DISPOSED).exists()
    # The next sweep does not offer the same records again.
    sweep.sweep_inline(today=TODAY)
    assert DisposalBatch.objects.count() == 1


def test_dispose_records_refuses_held_ones_for_the_requests_app(world):
    subject = world["subjects"][2]
    records = Record.objects.for_subject(subject)
    services.place_hold(
        organisation=world["organisation"],
        actor=world["dpo"],
        reason="Investigation",
        record=world["running"],
    )
    assert list(services.held_records(records)) == [world["running"]]
    grouped = services.records_by_system(subject)
    assert [(r.pk, r.is_held) for r in next(iter(grouped.values()))] == sorted(
        [(world["in_batch"][2].pk, False), (world["running"].pk, True)]
    )

    result = services.dispose_records(
        records, actor=world["dpo"], action=EndAction.ERASE, reason="request"
    )

    assert (result.disposed, result.held) == (1, 1)
    world["running"].refresh_from_db()
    assert world["running"].status == RecordStatus.ACTIVE


def test_releasing_a_hold_is_audited_and_frees_its_records(world):
    hold = services.place_hold(
        organisation=world["organisation"],
        actor=world["dpo"],
        reason="Case",
        system=world["in_batch"][0].system,
    )
    Record.objects.filter(pk=world["running"].pk).update(status=RecordStatus.ON_HOLD)

    services.release_hold(hold, actor=world["dpo"], reason="Case closed")

    hold.refresh_from_db()
    assert hold.released_by == world["dpo"]
    assert Record.objects.get(pk=world["running"].pk).status == RecordStatus.ACTIVE
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"retention.hold_placed", "retention.hold_released"} <= actions
    assert hold.history.count() == 2


def test_many_people_to_erase_are_erased_by_a_background_job(world, monkeypatch):
    from dpo_portal.jobs.models import Job
    from dpo_portal.jobs.tasks import run_job

    monkeypatch.setattr(services, "SCRUB_INLINE_LIMIT", 1)
    first, second, third = world["subjects"]

    services.approve_batch(world["batch"], actor=world["dpo"])

    job = Job.objects.get(kind="retention.scrub_disposed_subjects")
    run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (Job.Status.DONE, 2, 2)
    erased = set(DataSubject.objects.filter(erased_at__isnull=False).values_list("pk", flat=True))
    assert erased == {first.pk, second.pk}
