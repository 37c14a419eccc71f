"""Attachments of a request: kept in private storage under random names, accepted by what the
file is (not what it is called), read only through the checked view, and gone from storage when
the requester details are scrubbed."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from requests import attachments, fulfilment, services
from requests.models import RequestAttachment
from tests.factories import Role, make_organisation, make_user
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    make_request,
    three_systems,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

SCANNED_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"0" * 2000
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 500
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 100
EML = (
    b"From: Aysel <aysel@example.az>\r\nTo: dpo@allall.az\r\nSubject: Silinme\r\n"
    b"Date: Mon, 2 Mar 2026 10:00:00 +0400\r\n\r\nZehmet olmasa melumatlarimi silin.\r\n"
)


def docx_bytes(main_part=True):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        content_types = (
            '<Types><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
        )
        archive.writestr("[Content_Types].xml", content_types if main_part else "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def case(client):
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    request = make_request(person, actor=dpo)
    client.force_login(dpo)
    return organisation, dpo, person, request


def upload(client, request, content, name, kind="application"):
    return client.post(
        reverse("admin:requests_attachment_upload", args=[request.pk]),
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def download_url(attachment):
    return reverse(
        "admin:requests_attachment_download", args=[attachment.request_id, attachment.pk]
    )


def test_a_scanned_application_is_kept_privately_under_a_random_name(client, case, private_storage):
    _organisation, _dpo, person, request = case

    response = upload(client, request, SCANNED_PDF, f"{person.last_name} ərizə.pdf")

    assert "The document is attached." in response.content.decode()
    attachment = RequestAttachment.objects.get(request=request)
    assert (attachment.file_type, attachment.size) == ("PDF", len(SCANNED_PDF))
    files = [path for path in private_storage.rglob("*") if path.is_file()]
    assert len(files) == 1
    assert person.last_name not in str(files[0]) and files[0].suffix == ".pdf"
    assert files[0].read_bytes() == SCANNED_PDF
    # Listed on the request page with its type, size and who uploaded it.
    page = client.get(reverse("admin:requests_subjectrequest_change", args=[request.pk]))
    panel = page.content.decode().split('id="attachments-panel"')[1].split("</section>")[0]
    assert "Scanned application" in panel and "PDF" in panel and "dpo-fulfil" in panel
    downloaded = client.get(download_url(attachment))
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == SCANNED_PDF
    assert downloaded["Content-Type"] == "application/pdf"
    assert person.last_name not in downloaded["Content-Disposition"]


def test_another_organisations_attachment_answers_404(client, case):
    _organisation, _dpo, _person, request = case
    upload(client, request, SCANNED_PDF, "application.pdf")
    attachment = RequestAttachment.objects.get(request=request)
    stranger = make_user(Role.DPO, make_organisation())
    client.force_login(stranger)

    assert client.get(download_url(attachment)).status_code == 404
    # Nor by pointing another request's URL at it.
    own = make_request(make_person(stranger.memberships.get().organisation), actor=stranger)
    url = reverse("admin:requests_attachment_download", args=[own.pk, attachment.pk])
    assert client.get(url).status_code == 404


def test_a_manager_gets_403_and_an_auditor_may_read(client, case):
    organisation, _dpo, _person, request = case
    upload(client, request, SCANNED_PDF, "application.pdf")
    attachment = RequestAttachment.objects.get(request=request)

    client.force_login(make_user(Role.MANAGER, organisation))
    assert client.get(download_url(attachment)).status_code == 403

    client.force_login(make_user(Role.AUDITOR, organisation))
    response = client.get(download_url(attachment))
    assert response.status_code == 200
    # An auditor reads, but cannot attach.
    refused = client.post(
        reverse("admin:requests_attachment_upload", args=[request.pk]),
        {"kind": "other", "file": SimpleUploadedFile("x.pdf", SCANNED_PDF)},
    )
    assert refused.status_code == 403
    assert RequestAttachment.objects.count() == 1


def test_an_exe_renamed_pdf_is_refused_and_nothing_is_stored(client, case, private_storage):
    _organisation, _dpo, _person, request = case

    response = upload(client, request, EXE, "application.pdf")

    assert "not a PDF, JPEG, PNG, TIFF, Word (DOCX) document or e-mail (EML)" in (
        response.content.decode()
    )
    assert not RequestAttachment.objects.exists()
    assert not private_storage.exists() or not any(private_storage.iterdir())


def test_an_oversized_file_is_refused_with_the_limit(client, case, settings):
    settings.REQUEST_ATTACHMENT_MAX_BYTES = 1024
    _organisation, _dpo, _person, request = case

    response = upload(client, request, SCANNED_PDF, "application.pdf")

    assert "an attachment may be at most 1.0\xa0KB" in response.content.decode()
    assert not RequestAttachment.objects.exists()


def test_types_are_told_by_content():
    def detect(content):
        return attachments.detect_type(content[:4096], io.BytesIO(content))

    assert detect(SCANNED_PDF) == "PDF"
    assert detect(PNG) == "PNG"
    assert detect(b"\xff\xd8\xff\xe0" + b"\x00" * 50) == "JPEG"
    assert detect(b"II*\x00" + b"\x00" * 50) == "TIFF"
    assert detect(docx_bytes()) == "DOCX"
    assert detect(EML) == "EML"
    # A zip that is not a Word document, a plain text note and a program are refused.
    assert detect(docx_bytes(main_part=False)) is None
    assert detect(b"just some words\nand more words\n") is None
    assert detect(EXE) is None


def test_after_the_requester_details_are_scrubbed_the_files_are_gone(
    client, case, private_storage, django_capture_on_commit_callbacks
):
    organisation, dpo, person, request = case
    category = make_category(organisation, "identity", name="Identity")
    for system in three_systems(organisation):
        make_record(person, system, category)
    upload(client, request, SCANNED_PDF, "application.pdf")
    upload(client, request, PNG, "id-card.png", kind="id_copy")
    assert len([p for p in private_storage.rglob("*") if p.is_file()]) == 2

    with django_capture_on_commit_callbacks(execute=True):
        for task in fulfilment.open_tasks_for(request, actor=dpo):
            fulfilment.resolve_task(task, actor=dpo, resolution=fulfilment.Resolution.ERASED)
        fulfilment.complete_request(
            request, actor=dpo, letter_language="en", letter_channel="email"
        )

    assert [p for p in private_storage.rglob("*") if p.is_file()] == []
    rows = list(RequestAttachment.objects.filter(request=request))
    # What stays: that a document of this kind and size was held, and when it went.
    assert {(row.kind, row.original_name, row.stored_name) for row in rows} == {
        ("application", "", ""),
        ("id_copy", "", ""),
    }
    assert all(row.removed_at for row in rows)
    assert client.get(download_url(rows[0])).status_code == 404


def test_the_daily_scrub_of_closed_requests_removes_their_files(
    case, private_storage, settings, django_capture_on_commit_callbacks
):
    import datetime

    from django.utils import timezone

    settings.PORTAL_RETENTION = {"closed_request_details_days": 30}
    _organisation, dpo, _person, request = case
    attachments.attach_file(
        request, SimpleUploadedFile("a.eml", EML), kind="correspondence", actor=dpo
    )
    services.close_request(
        request,
        status="withdrawn",
        reason="Withdrawn by phone.",
        actor=dpo,
        at=timezone.now() - datetime.timedelta(days=40),
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.scrub_closed_requests() == 1

    assert [p for p in private_storage.rglob("*") if p.is_file()] == []
