"""The beat-driven closer of sweeps (retention.tasks.close_quiet_sweeps) and what the dashboard
says meanwhile: a sweep quiet past the quiet period gets its unfinished chunks sent again, a run
whose chord never fired is closed, closing happens once whoever calls it, and the dashboard
flags a sweep that has not finished."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import Role
from retention import sweep
from retention.models import DisposalBatch, Record, RecordStatus, SweepRun
from retention.tasks import close_quiet_sweeps
from tests.factories import make_organisation, make_user
from tests.register.helpers import log_in

from .helpers import make_record, retention_world

TODAY = datetime.date(2026, 6, 1)


@pytest.fixture
def acme():
    """Five expired records, and a sweep run over them in chunks of two, not yet dispatched."""
    organisation, system, category, rule = retention_world("acme")
    for _ in range(5):
        make_record(organisation, system=system, category=category, rule=rule)
    chunks = sweep.plan_chunks(organisation_ids=[organisation.pk], chunk_size=2)
    return organisation, sweep.open_run(chunks, today=TODAY, organisation_ids=[organisation.pk])


def _quiet(run, minutes=10):
    SweepRun.objects.filter(pk=run.pk).update(
        last_activity_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )


def _finished_events(organisation):
    return AuditEvent.objects.filter(action="retention.sweep_finished", organisation=organisation)


@pytest.mark.django_db
def test_a_quiet_sweep_is_resumed_and_closed_once_with_the_counts_of_a_clean_run(acme, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    organisation, run = acme
    first, *lost = list(run.chunks.order_by("first_pk").values_list("first_pk", "last_pk"))
    # Only the first chunk ran before its worker died; the others' messages are lost for now.
    counts = sweep.sweep_chunk(*first, today=TODAY, organisation_ids=[organisation.pk])
    sweep.chunk_finished(run.pk, first[0], counts)
    assert close_quiet_sweeps() == {"resumed": 0, "closed": 0}  # not quiet yet: left alone

    _quiet(run)
    assert close_quiet_sweeps() == {"resumed": 1, "closed": 0}

    run.refresh_from_db()
    assert run.finished_at is not None and run.resumed == 1
    assert Record.objects.filter(status=RecordStatus.DUE).count() == 5
    assert DisposalBatch.objects.get().record_count == 5
    assert _finished_events(organisation).count() == 1
    assert _finished_events(organisation).get().details["due"] == 5
    # The lost messages turn up at last, and the chord's own callback with them: nothing twice.
    for low, high in lost:
        counts = sweep.sweep_chunk(low, high, today=TODAY, organisation_ids=[organisation.pk])
        sweep.chunk_finished(run.pk, low, counts)
    assert sweep.close_run(run.pk) is None
    assert close_quiet_sweeps() == {"resumed": 0, "closed": 0}
    assert _finished_events(organisation).count() == 1
    assert DisposalBatch.objects.get().record_count == 5


@pytest.mark.django_db
def test_a_sweep_whose_chunks_all_ran_but_whose_chord_never_fired_is_closed(acme):
    organisation, run = acme
    for low, high in run.chunks.values_list("first_pk", "last_pk"):
        sweep.chunk_finished(
            run.pk,
            low,
            sweep.sweep_chunk(low, high, today=TODAY, organisation_ids=[organisation.pk]),
        )
    assert DisposalBatch.objects.get().record_count == 0  # counted only when the sweep closes
    _quiet(run)

    assert close_quiet_sweeps() == {"resumed": 0, "closed": 1}

    assert DisposalBatch.objects.get().record_count == 5
    assert _finished_events(organisation).count() == 1
    assert close_quiet_sweeps() == {"resumed": 0, "closed": 0}


@pytest.mark.django_db
def test_the_dashboard_flags_an_unfinished_sweep_to_its_organisations_only(acme, client):
    organisation, run = acme
    other = make_organisation("other")
    dpo = make_user(Role.DPO, organisation)
    log_in(client, dpo)
    assert "has not finished" not in client.get(reverse("admin:index")).content.decode()

    _quiet(run)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Unfinished sweep" in page
    assert f"0 of {run.chunks.count()} chunks done. Interrupted, resuming" in page

    client.logout()
    log_in(client, make_user(Role.DPO, other))
    assert "has not finished" not in client.get(reverse("admin:index")).content.decode()

    client.logout()
    log_in(client, dpo)
    SweepRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    assert "has not finished" not in client.get(reverse("admin:index")).content.decode()
