"""The privacy centre: a request sent in Azerbaijani and confirmed by the e-mailed link lands in
the triage queue (kind, channel web, due date, attachment); an unconfirmed one does not and is
forgotten after 7 days; the answers do not tell who is in the register; too many forms answer
429; a status page opens only with its organisation, reference and secret."""

import datetime
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dpo_portal.audit.models import AuditEvent
from requests import attachments
from requests.models import (
    RequestChannel,
    RequestKind,
    SubjectRequest,
    WebSubmission,
)
from requests.public import intake
from tests.factories import make_organisation, make_subject

pytestmark = pytest.mark.django_db

SCANNED_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"0" * 2000
FORM = {
    "requester_name": "Nərgiz Əliyeva",
    "requester_email": "nergiz.aliyeva@example.az",
    "requester_fin": "5ZK8R2T",
    "requester_phone": "+994 50 123 45 67",
    "details": "Hesabımı və bütün məlumatlarımı silin.",
}


@pytest.fixture(autouse=True)
def _fresh_counts():
    # The throttle counts live in Redis, shared by every test of the run.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def qonshu():
    return make_organisation(
        "qonshu-test", name="Qonshu app", languages="az", dpo_email="info@qonshu.test"
    )


def form_url(organisation, kind=RequestKind.DELETION):
    return reverse("privacy:request", kwargs={"organisation": organisation.slug, "kind": kind})


def send_form(client, organisation, *, kind=RequestKind.DELETION, upload=None, **changes):
    data = {**FORM, **changes}
    if upload is not None:
        data["upload"] = upload
        data["upload_kind"] = "application"
    return client.post(form_url(organisation, kind), data, HTTP_ACCEPT_LANGUAGE="az")


def link_in(message, pattern):
    return re.search(rf"https?://\S+{pattern}\S*", message.body).group(0)


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)


def test_a_request_in_azerbaijani_confirmed_by_the_link_enters_the_queue(
    client, qonshu, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("ərizə.pdf", SCANNED_PDF, content_type="application/pdf")
    page = client.get(form_url(qonshu), HTTP_ACCEPT_LANGUAGE="az")
    assert '<html lang="az">' in page.content.decode()
    assert "Silinmə" in page.content.decode() or "silin" in page.content.decode().lower()
    with django_capture_on_commit_callbacks(execute=True):
        response = send_form(client, qonshu, upload=upload)
    assert response.status_code == 302
    assert not SubjectRequest.objects.exists()  # not a request until confirmed

    [confirmation] = mail.outbox
    assert confirmation.to == [FORM["requester_email"]]
    verify = path_of(link_in(confirmation, "/verify/"))
    assert client.get(verify).status_code == 200
    assert not SubjectRequest.objects.exists()  # opening the link confirms nothing by itself
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(verify)
    assert confirmed.status_code == 302

    request = SubjectRequest.objects.get()
    assert request.kind == RequestKind.DELETION
    assert request.channel == RequestChannel.WEB
    assert request.organisation == qonshu
    assert request.due_on is not None and request.due_on > timezone.localdate()
    assert request.requester_fin == "5ZK8R2T"
    [attachment] = request.attachments.all()
    assert attachment.kind == "application" and attachment.file_type == "PDF"
    with attachments.open_file(attachment) as stored:
        assert stored.read() == SCANNED_PDF
    assert AuditEvent.objects.filter(action="requests.received", target_id=str(request.pk))

    # The submission keeps nothing personal once the request carries it.
    submission = WebSubmission.objects.get()
    assert submission.request == request
    assert all(not getattr(submission, name) for name in WebSubmission.PERSONAL_FIELDS)

    # The second mail gives the reference and the status page; the link cannot be used twice.
    registered = mail.outbox[1]
    assert request.reference in registered.subject
    status_path = path_of(link_in(registered, "/status/"))
    assert confirmed.url == status_path
    status = client.get(status_path)
    assert request.reference in status.content.decode()
    assert client.get(verify).status_code == 410


def test_the_short_code_confirms_on_the_device_that_sent_the_form(
    client, qonshu, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_form(client, qonshu)
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    submitted = reverse("privacy:submitted", kwargs={"organisation": qonshu.slug})
    wrong = client.post(submitted, {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 200 and not SubjectRequest.objects.exists()
    right = client.post(submitted, {"code": code})
    assert right.status_code == 302
    assert SubjectRequest.objects.get().channel == RequestChannel.WEB


def test_bad_input_is_explained_and_kept(client, qonshu):
    response = send_form(client, qonshu, requester_fin="12")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="Nərgiz Əliyeva"' in body  # nothing typed is lost
    assert "errors" in body
    assert not WebSubmission.objects.exists() and not mail.outbox


def test_an_unconfirmed_request_is_not_in_the_queue_and_is_forgotten_after_7_days(
    client, qonshu, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("id.pdf", SCANNED_PDF, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        send_form(client, qonshu, upload=upload)
    submission = WebSubmission.objects.get()
    stored = submission.upload_stored_name
    assert attachments.storage().exists(stored)
    assert not SubjectRequest.objects.exists()

    assert intake.discard_unverified(now=timezone.now() + datetime.timedelta(days=6)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        gone = intake.discard_unverified(now=timezone.now() + datetime.timedelta(days=7, hours=1))
    assert gone == 1
    assert not WebSubmission.objects.exists()
    assert not attachments.storage().exists(stored)
    assert not SubjectRequest.objects.exists()
    event = AuditEvent.objects.get(action="requests.unverified_discarded")
    assert event.details["count"] == 1 and "Əliyeva" not in str(event.details)
    # The link of a forgotten submission opens nothing.
    verify = path_of(link_in(mail.outbox[0], "/verify/"))
    assert client.get(verify).status_code == 404


def test_the_answer_is_the_same_whether_or_not_the_person_is_in_the_register(
    client, qonshu, django_capture_on_commit_callbacks
):
    make_subject(qonshu, fin="5ZK8R2T", email="known@example.az")
    with django_capture_on_commit_callbacks(execute=True):
        known = send_form(client, qonshu, requester_email="known@example.az")
        unknown = send_form(client, qonshu, requester_email="stranger@example.az", requester_fin="")
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    page_known = token.sub(b"", client.get(known.url).content)
    page_unknown = token.sub(b"", client.get(unknown.url).content)
    assert page_known == page_unknown
    assert len(mail.outbox) == 2
    assert mail.outbox[0].subject == mail.outbox[1].subject
    assert re.sub(r"\S+/verify/\S+|\d{6}", "", mail.outbox[0].body) == re.sub(
        r"\S+/verify/\S+|\d{6}", "", mail.outbox[1].body
    )


def test_too_many_forms_from_one_address_answer_429(client, qonshu, settings):
    settings.PRIVACY_CENTRE = {**settings.PRIVACY_CENTRE, "submissions_per_address_per_day": 2}
    assert send_form(client, qonshu).status_code == 302
    assert send_form(client, qonshu).status_code == 302
    refused = send_form(client, qonshu)
    assert refused.status_code == 429
    assert WebSubmission.objects.count() == 2
    # Another address from elsewhere is still heard.
    other = client.post(
        form_url(qonshu),
        {**FORM, "requester_email": "someone.else@example.az"},
        REMOTE_ADDR="10.1.2.3",
    )
    assert other.status_code == 302


def test_too_many_forms_from_one_ip_answer_429(client, qonshu, settings):
    settings.PRIVACY_CENTRE = {**settings.PRIVACY_CENTRE, "submissions_per_ip_per_hour": 3}
    for n in range(3):
        assert send_form(client, qonshu, requester_email=f"p{n}@example.az").status_code == 302
    assert send_form(client, qonshu, requester_email="p9@example.az").status_code == 429


def test_a_filled_honeypot_is_answered_like_anyone_and_dropped(client, qonshu):
    response = send_form(client, qonshu, website="http://spam.example")
    assert response.status_code == 302
    assert not WebSubmission.objects.exists() and not mail.outbox


def test_a_status_page_needs_its_organisation_reference_and_secret(
    client, qonshu, django_capture_on_commit_callbacks
):
    other = make_organisation("other-test", name="Other MMC", languages="az,en")
    with django_capture_on_commit_callbacks(execute=True):
        send_form(client, qonshu)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path_of(link_in(mail.outbox[0], "/verify/")))
    request = SubjectRequest.objects.get()
    good = path_of(link_in(mail.outbox[1], "/status/"))
    secret = good.rstrip("/").rsplit("/", 1)[1]
    assert client.get(good).status_code == 200

    def status(organisation, reference, secret):
        return client.get(
            reverse(
                "privacy:status",
                kwargs={
                    "organisation": organisation.slug,
                    "reference": reference,
                    "secret": secret,
                },
            )
        )

    assert status(qonshu, request.reference, "not-the-secret").status_code == 404
    assert status(other, request.reference, secret).status_code == 404
    assert status(other, request.reference, "not-the-secret").status_code == 404
    # The lookup form: a wrong secret is told so, the right one opens the page.
    lookup = reverse("privacy:status-lookup", kwargs={"organisation": qonshu.slug})
    wrong = client.post(lookup, {"reference": request.reference, "secret": "nope"})
    assert wrong.status_code == 200 and not WebSubmission.objects.filter(secret_digest="nope")
    right = client.post(lookup, {"reference": request.reference.lower(), "secret": secret})
    assert right.status_code == 302 and right.url == good


def test_the_front_door_shows_the_organisation_its_dpo_and_the_regimes_kinds(client, qonshu):
    page = client.get(
        reverse("privacy:home", kwargs={"organisation": qonshu.slug}), HTTP_ACCEPT_LANGUAGE="en"
    )
    body = page.content.decode()
    assert page.status_code == 200
    # Qonshu speaks Azerbaijani only: an English browser still gets the organisation's language,
    # and the switch offers English.
    assert '<html lang="az">' in body
    assert "Qonshu app" in body and "info@qonshu.test" in body
    assert (
        reverse("privacy:request", kwargs={"organisation": qonshu.slug, "kind": "deletion"}) in body
    )
    assert "portability" not in body  # not a right under the Azerbaijani law
    english = client.get(reverse("privacy:home", kwargs={"organisation": qonshu.slug}) + "?lang=en")
    assert '<html lang="en">' in english.content.decode()
    assert client.get("/privacy/no-such-organisation/").status_code == 404
