"""Importing through the admin as a user does: post the import form, then run the queued job as
the worker would (the request only queues it), and read the job's row-error report."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from dpo_portal.jobs.models import Job
from dpo_portal.jobs.tasks import run_job


def post_file(client, url, organisation, content, name="import.csv"):
    """The form's POST; returns the response (a redirect to the job page when queued)."""
    with TestCase.captureOnCommitCallbacks():  # the queued task is run by run_import below
        return client.post(
            url, {"organisation": organisation.pk, "file": SimpleUploadedFile(name, content)}
        )


def job_of(response):
    assert response.status_code == 302, response.content.decode()[:2000]
    return Job.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-2]))


def run_import(client, url, organisation, content, name="import.csv"):
    """Upload through the page, run the job, return it refreshed."""
    job = job_of(post_file(client, url, organisation, content, name))
    run_job(job.pk)
    job.refresh_from_db()
    return job


def report(job):
    """{row number: [(column, value, reason)]} from the job's downloadable report."""
    assert job.result is not None, job.message
    rows = list(csv.reader(io.StringIO(bytes(job.result).decode("utf-8-sig"))))[1:]
    found = {}
    for row, column, value, reason in rows:
        found.setdefault(int(row), []).append((column, value, reason))
    return found
