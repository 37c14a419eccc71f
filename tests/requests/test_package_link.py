"""The access package by link: the answer's e-mail carries a link, not the ZIP; the link gives
the package within its hours and downloads, each download audited, then answers "expired", and
the clean-up deletes the file."""

import datetime
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from dpo_portal.audit.models import AuditEvent
from dpo_portal.jobs.tasks import run_job
from requests import access, attachments, letters, services
from requests.models import PackageLink, RequestKind
from requests.public import downloads
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    make_request,
    three_systems,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()


@pytest.fixture
def access_request():
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    core, _crm, _aml = three_systems(organisation)
    make_record(person, core, make_category(organisation, "identity"), external_id="LOAN-1")
    request = make_request(person, actor=dpo, kind=RequestKind.ACCESS)
    job = access.start_access_package(request, actor=dpo, language="en")
    # The job as a worker runs it (tests/requests/test_access_package.py runs it on a real one).
    run_job(job.pk)
    job.refresh_from_db()
    assert job.result
    return dpo, request, bytes(job.result)


def emailed_link(dpo, request, django_capture_on_commit_callbacks):
    letter = letters.create_letter(request, language="en", actor=dpo)
    with django_capture_on_commit_callbacks(execute=True):
        letters.send_by_email(letter, actor=dpo)
    [message] = mail.outbox
    return message, re.search(r"https?://[^/\s]+(/privacy/\S+/download/\S+/)", message.body).group(
        1
    )


def test_the_package_downloads_within_its_count_then_answers_expired_and_is_deleted(
    client, settings, access_request, django_capture_on_commit_callbacks
):
    settings.PRIVACY_CENTRE = {**settings.PRIVACY_CENTRE, "package_link_downloads": 2}
    dpo, request, package = access_request
    message, path = emailed_link(dpo, request, django_capture_on_commit_callbacks)
    # The letter's PDF goes with the mail; the package never does.
    assert [name for name, _content, _type in message.attachments] == [f"{request.reference}.pdf"]
    assert "2 downloads" in message.body

    landing = client.get(f"{path}?lang=en")  # the switch: the next pages are in English too
    assert landing.status_code == 200 and b"Download my data" in landing.content
    assert PackageLink.objects.get().downloads == 0  # looking at the page takes nothing
    for _n in range(2):
        response = client.post(path)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == package
    spent = client.post(path)
    assert spent.status_code == 410 and b"expired" in spent.content

    downloads_audited = AuditEvent.objects.filter(action="requests.package_downloaded")
    assert [e.details["download"] for e in downloads_audited.order_by("sequence")] == [1, 2]

    link = PackageLink.objects.get()
    stored = link.stored_name
    assert attachments.storage().exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        assert downloads.remove_expired() == 1
    assert not attachments.storage().exists(stored)
    link.refresh_from_db()
    assert link.file_removed_at is not None
    assert client.get(path).status_code == 410
    assert AuditEvent.objects.filter(action="requests.package_link_expired").count() == 1


def test_after_its_hours_the_link_answers_expired_and_the_file_goes(
    client, settings, access_request, django_capture_on_commit_callbacks
):
    settings.PRIVACY_CENTRE = {**settings.PRIVACY_CENTRE, "package_link_hours": 72}
    dpo, request, package = access_request
    _message, path = emailed_link(dpo, request, django_capture_on_commit_callbacks)
    link = PackageLink.objects.get()
    assert link.expires_at - link.created_at >= datetime.timedelta(hours=71, minutes=59)
    assert client.get(f"{path}?lang=en").status_code == 200
    assert client.post(path).status_code == 200

    later = link.expires_at + datetime.timedelta(minutes=1)
    PackageLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    expired = client.post(path)
    assert expired.status_code == 410 and b"expired" in expired.content
    with django_capture_on_commit_callbacks(execute=True):
        assert downloads.remove_expired(now=later) == 1
    assert not attachments.storage().exists(link.stored_name)
    assert AuditEvent.objects.filter(action="requests.package_downloaded").count() == 1


def test_another_organisations_address_or_a_made_up_token_answers_404(
    client, access_request, django_capture_on_commit_callbacks
):
    from tests.factories import make_organisation

    dpo, request, _package = access_request
    _message, path = emailed_link(dpo, request, django_capture_on_commit_callbacks)
    other = make_organisation("someone-else")
    assert client.get(path.replace(request.organisation.slug, other.slug)).status_code == 404
    assert client.get(re.sub(r"/download/[^/]+/", "/download/made-up/", path)).status_code == 404


def test_scrubbing_the_requester_details_deletes_the_package_file_at_once(
    client, access_request, django_capture_on_commit_callbacks
):
    dpo, request, _package = access_request
    _message, path = emailed_link(dpo, request, django_capture_on_commit_callbacks)
    stored = PackageLink.objects.get().stored_name
    with django_capture_on_commit_callbacks(execute=True):
        services.scrub_requester_details([request.pk])
    assert not attachments.storage().exists(stored)
    assert client.post(path).status_code == 410
