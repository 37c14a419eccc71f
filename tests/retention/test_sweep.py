"""The sweep, through a real Celery worker, Redis and PostgreSQL."""

import datetime

import pytest
from django.utils import timezone

from retention import sweep
from retention.models import (
    BatchStatus,
    DisposalBatch,
    LegalHold,
    Record,
    RecordStatus,
    Trigger,
)
from retention.tasks import start_sweep
from tests.factories import make_category, make_subject, make_system

from .helpers import make_activity, make_consent, make_record, make_rule, retention_world

TODAY = datetime.date(2026, 11, 22)
LONG_AGO = datetime.date(2015, 1, 10)  # + 5 years: long expired
RECENT = datetime.date(2025, 1, 10)  # + 5 years: still running


def _world(expired=6, running=3):
    organisation, system, category, rule = retention_world()
    held_subject = make_subject(organisation)
    records = {
        "expired": [
            make_record(organisation, system=system, category=category, rule=rule)
            for _ in range(expired)
        ],
        "running": [
            make_record(
                organisation, system=system, category=category, rule=rule, collected_at=RECENT
            )
            for _ in range(running)
        ],
        "held": [
            make_record(
                organisation, subject=held_subject, system=system, category=category, rule=rule
            )
        ],
    }
    LegalHold.objects.create(organisation=organisation, subject=held_subject, reason="Court case")
    return organisation, system, category, rule, records


def _statuses():
    return dict(Record.objects.values_list("pk", "status"))


def _batch_of():
    return dict(Record.objects.values_list("pk", "disposal_batch_id"))


def _run(chunk_size=4):
    start_sweep(today=TODAY, chunk_size=chunk_size).get(timeout=60)


def test_sweep_flags_due_records_spares_held_ones_and_forms_one_batch(celery_worker_real):
    organisation, system, category, rule, records = _world()

    _run()

    statuses = _statuses()
    assert {statuses[r.pk] for r in records["expired"]} == {RecordStatus.DUE}
    assert {statuses[r.pk] for r in records["running"]} == {RecordStatus.ACTIVE}
    assert statuses[records["held"][0].pk] == RecordStatus.ON_HOLD
    batch = DisposalBatch.objects.get()
    assert (batch.system, batch.category, batch.rule, batch.status) == (
        system,
        category,
        rule,
        BatchStatus.PENDING,
    )
    assert batch.record_count == 6
    assert set(batch.records.values_list("pk", flat=True)) == {r.pk for r in records["expired"]}


def test_a_second_run_changes_nothing(celery_worker_real):
    _world()
    _run()
    before = (_statuses(), _batch_of(), list(DisposalBatch.objects.values("pk", "record_count")))
    _run()
    after = (_statuses(), _batch_of(), list(DisposalBatch.objects.values("pk", "record_count")))
    assert after == before


def test_batches_are_per_system_category_and_rule(celery_worker_real):
    organisation, system, category, rule, _records = _world(expired=2, running=0)
    other_system = make_system(organisation)
    other_category = make_category(organisation)
    other_rule = make_rule(organisation, category=other_category, period=1)
    make_record(organisation, system=other_system, category=category, rule=rule)
    make_record(organisation, system=system, category=other_category, rule=other_rule)
    make_record(organisation, system=system, category=other_category, rule=other_rule)

    _run(chunk_size=2)

    counts = {
        (b.system_id, b.category_id, b.rule_id): b.record_count for b in DisposalBatch.objects.all()
    }
    assert counts == {
        (system.pk, category.pk, rule.pk): 2,
        (other_system.pk, category.pk, rule.pk): 1,
        (system.pk, other_category.pk, other_rule.pk): 2,
    }


@pytest.mark.parametrize(
    "failing_step",
    [
        "assign_batches",  # the batches exist, no record is flagged yet
        "refresh_batch_counts",  # the records are flagged and batched, the counts are not
    ],
)
def test_a_chunk_that_fails_midway_and_is_retried_leaves_no_duplicate_and_misses_nothing(
    celery_worker_real, monkeypatch, failing_step
):
    _organisation, _system, _category, _rule, records = _world(expired=9, running=0)
    real_step = getattr(sweep, failing_step)
    failures = []

    def dies_once(*args, **kwargs):
        # Everything before this step has committed when the worker "dies".
        if not failures:
            failures.append(1)
            raise ConnectionError("worker lost")
        return real_step(*args, **kwargs)

    monkeypatch.setattr(sweep, failing_step, dies_once)

    _run(chunk_size=4)

    assert failures == [1]
    batch = DisposalBatch.objects.get()
    expired_ids = {r.pk for r in records["expired"]}
    assert set(batch.records.values_list("pk", flat=True)) == expired_ids
    assert batch.record_count == len(expired_ids) == 9
    assert set(Record.objects.filter(status=RecordStatus.DUE).values_list("pk", flat=True)) == (
        expired_ids
    )


def test_a_withdrawn_consent_starts_the_clock_of_the_records_it_alone_held(celery_worker_real):
    organisation, system, category, _rule = retention_world()
    activity = make_activity(organisation, basis_kind=None)
    on_consent = make_rule(
        organisation,
        activity=activity,
        category=category,
        period=30,
        unit="days",
        trigger=Trigger.CONSENT_WITHDRAWAL,
    )
    subject = make_subject(organisation)
    withdrawn_at = timezone.make_aware(datetime.datetime(2026, 10, 1, 23, 30))  # Baku time
    consent = make_consent(
        subject,
        activity,
        given_at=withdrawn_at - datetime.timedelta(days=400),
        withdrawn_at=withdrawn_at,
    )
    kept = make_consent(
        make_subject(organisation), activity, given_at=withdrawn_at - datetime.timedelta(days=9)
    )
    record = make_record(
        organisation,
        subject=subject,
        system=system,
        category=category,
        activity=activity,
        rule=on_consent,
        consent=consent,
    )
    still_consented = make_record(
        organisation,
        subject=kept.subject,
        system=system,
        category=category,
        activity=activity,
        rule=on_consent,
        consent=kept,
    )

    _run()

    record.refresh_from_db()
    still_consented.refresh_from_db()
    assert record.clock_started_at == datetime.date(2026, 10, 1)
    assert record.expires_on == datetime.date(2026, 10, 31)
    assert record.status == RecordStatus.DUE
    assert (still_consented.clock_started_at, still_consented.status) == (
        None,
        RecordStatus.ACTIVE,
    )


def test_released_hold_lets_the_next_sweep_take_the_records(celery_worker_real):
    _organisation, _system, _category, _rule, records = _world(expired=1, running=0)
    _run()
    held = records["held"][0]
    assert Record.objects.get(pk=held.pk).status == RecordStatus.ON_HOLD

    LegalHold.objects.update(released_at=timezone.now())
    _run()

    held.refresh_from_db()
    assert held.status == RecordStatus.DUE
    assert held.disposal_batch == DisposalBatch.objects.get()
    assert DisposalBatch.objects.get().record_count == 2


@pytest.mark.django_db
def test_the_inline_sweep_used_by_the_command_does_the_same():
    _organisation, _system, _category, _rule, records = _world(expired=3, running=1)
    totals = sweep.sweep_inline(today=TODAY, chunk_size=2)
    assert totals["due"] == 3
    assert totals["batched"] == 3
    assert totals["on_hold"] == 1
    assert sweep.sweep_inline(today=TODAY, chunk_size=2)["batched"] == 0
