"""The sweep tells its story: the button opens a job page with progress that links to the new
batches, a resumed attempt says so, and the dashboard shows when the last sweep ran and what it
found (or that none has run yet)."""

import pytest
from django.urls import reverse

from dpo_portal.jobs.models import Job
from dpo_portal.register.models import Role
from retention import sweep
from retention.models import DisposalBatch, Record, RecordStatus
from tests.factories import make_user
from tests.register.helpers import log_in

from .helpers import make_record, retention_world


def _expired_records(count):
    organisation, system, category, rule = retention_world()
    for _ in range(count):
        make_record(organisation, system=system, category=category, rule=rule)
    return organisation


def _wait_for(job, seconds=60):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job still {job.status} after {seconds} s")


def test_the_sweep_button_opens_a_job_page_with_progress_linking_to_the_batches(
    client, celery_worker_real
):
    organisation = _expired_records(3)
    dpo = make_user(Role.DPO, organisation)
    log_in(client, dpo)

    response = client.post(reverse("admin:retention_record_sweep"))

    job = Job.objects.get(kind="retention.sweep")
    assert response["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    _wait_for(job)
    assert job.status == Job.Status.DONE
    assert job.total >= 1 and job.done == job.total  # chunks done of total
    page = client.get(response["Location"]).content.decode()
    assert "3 records newly due" in page
    assert f"({job.total}/{job.total})" in page
    batches_link = reverse("admin:retention_disposalbatch_changelist")
    assert f'href="{batches_link}?organisation={organisation.pk}&amp;status__exact=pending"' in page
    assert DisposalBatch.objects.get().record_count == 3


@pytest.mark.django_db
def test_a_sweep_job_picked_up_again_after_its_worker_died_says_so_and_converges(monkeypatch):
    from dpo_portal.jobs.tasks import run_job

    organisation = _expired_records(4)
    # What a worker killed mid-way leaves: the job running, some chunks counted.
    job = Job.objects.create(
        kind="retention.sweep", organisation=organisation, status=Job.Status.RUNNING, done=1
    )
    seen = []
    real_chunk = sweep.sweep_chunk

    def chunk(*args, **kwargs):
        seen.append(Job.objects.get(pk=job.pk).message)
        return real_chunk(*args, **kwargs)

    monkeypatch.setattr(sweep, "sweep_chunk", chunk)

    run_job(job.pk)

    assert seen and set(seen) == {"Interrupted, resuming."}
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (Job.Status.DONE, job.total, job.total)
    assert Record.objects.filter(organisation=organisation, status=RecordStatus.DUE).count() == 4


@pytest.mark.django_db
def test_the_dashboard_says_when_the_last_sweep_ran_and_what_it_found(client):
    organisation = _expired_records(2)
    log_in(client, make_user(Role.DPO, organisation))
    before = client.get(reverse("admin:index")).content.decode()
    assert "The sweep has not run yet" in before

    found = sweep.sweep_inline(organisation_ids=[organisation.pk])
    sweep.record_sweep([found], today="2026-11-22", organisation_ids=[organisation.pk])

    after = client.get(reverse("admin:index")).content.decode()
    assert "The sweep has not run yet" not in after
    assert "2 records due, 0 on hold, 1 batches pending" in after
