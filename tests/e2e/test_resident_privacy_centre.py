"""A resident uses Qonshu's privacy centre in Azerbaijani: asks for deletion, confirms by the
e-mailed link, is asked for more information by the DPO, replies with a file on the status page,
and reads the final letter there once the DPO completes the request. A second resident asks for
access and downloads the package by the link in the answer's e-mail. Screenshots at 1366x768
of every public page in Azerbaijani and English go to $SHOTS_DIR (/tmp/shots-i16-centre)."""

import io
import os
import re
import zipfile
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from dpo_portal.jobs.models import Job
from requests import conversation
from requests.access import ACCESS_PACKAGE_JOB
from requests.models import (
    PackageLink,
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)
from requests.public import downloads, intake
from tests.factories import Role, login, make_organisation, make_system, make_user
from tests.requests.fulfilment_helpers import make_category, make_person, make_record

SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots-i16-centre"))
SCANNED_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"0" * 2000
QUESTION = "Şəxsiyyət vəsiqənizin şəkilli səhifəsinin surətini göndərin."
REPLY = "Vəsiqənin surəti əlavə olunub."


@pytest.fixture(autouse=True)
def _public_urls(settings, live_server):
    # Mails link to the server the browser talks to; throttle counts start from nothing.
    settings.PUBLIC_BASE_URL = live_server.url
    cache.clear()
    SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def qonshu():
    organisation = make_organisation(
        "qonshu", name="Qonshu app", languages="az", dpo_email="info@qonshuapp.az"
    )
    dpo = make_user(Role.DPO, organisation, username="dpo-qonshu", first_name="Nigar")
    person = make_person(organisation)
    system = make_system(organisation, "qonshu-app", name="Qonshu app database")
    make_record(person, system, make_category(organisation, "profile", name="Profile"))
    return organisation, dpo, person


def shoot(page, name):
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def path_in(message, marker):
    return re.search(rf"https?://[^/\s]+(/privacy/\S*{marker}\S*)", message.body).group(1)


def test_resident_asks_for_deletion_in_azerbaijani_and_reads_the_answer(page, live_server, qonshu):
    organisation, dpo, person = qonshu
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/privacy/qonshu/")
    expect(page.locator("html")).to_have_attribute("lang", "az")
    expect(page.locator("footer")).to_contain_text("info@qonshuapp.az")
    page.locator('a[href$="/request/deletion/"]').click()

    page.get_by_label("Adınız, soyadınız").fill(f"{person.first_name} {person.last_name}")
    page.get_by_label("E-poçt ünvanınız").fill(person.email)
    page.get_by_label("FİN (fərdi identifikasiya nömrəsi)").fill(person.fin)
    page.get_by_label("Nə xahiş edirsiniz").fill("Qonshu hesabımı və məlumatlarımı silin.")
    page.get_by_role("button", name="Müraciəti göndər").click()
    expect(page.locator("h1")).to_have_text("E-poçtunuzu yoxlayın")
    assert not SubjectRequest.objects.exists()

    # The link from the mail, then the button that confirms.
    page.goto(path_in(mail.outbox[0], "/verify/"))
    page.get_by_role("button", name="Bəli, müraciətimi təsdiqləyirəm").click()
    request = SubjectRequest.objects.get()
    expect(page.locator("h1")).to_contain_text(request.reference)
    status_path = path_in(mail.outbox[1], "/status/")
    assert page.url.endswith(status_path)

    # The DPO asks for more information from the request page.
    login(page, live_server, dpo.username)
    page.goto(f"/admin/requests/subjectrequest/{request.pk}/change/")
    page.locator("#message-body").fill(QUESTION)
    page.locator("#message-asks").check()
    page.locator("#message-form input[type=submit]").click()
    expect(page.locator("#conversation")).to_contain_text(QUESTION)
    expect(page.locator("#deadline-panel")).to_contain_text("The clock is stopped")
    notice = mail.outbox[2]
    assert QUESTION not in notice.body and request.reference in notice.subject

    # The resident reads it on the status page and replies with the copy.
    page.goto(status_path)
    expect(page.locator(".conversation")).to_contain_text(QUESTION)
    expect(page.locator(".facts")).to_contain_text("Sizdən istədiyimizi alanadək")
    page.get_by_label("Mesajınız").fill(REPLY)
    page.get_by_label("Fayl əlavə edin (istəyə görə)").set_input_files(
        [{"name": "vesiqe.pdf", "mimeType": "application/pdf", "buffer": SCANNED_PDF}]
    )
    page.get_by_role("button", name="Mesajı göndər").click()
    expect(page.locator(".notices")).to_contain_text("Mesajınız göndərildi.")
    expect(page.locator(".conversation")).to_contain_text(REPLY)
    expect(page.locator(".conversation")).to_contain_text("1 fayl əlavə olunub")

    # The DPO sees the reply with its file, the clock running again, and completes.
    page.goto(f"/admin/requests/subjectrequest/{request.pk}/change/")
    expect(page.locator("#conversation")).to_contain_text(REPLY)
    expect(page.locator("#conversation a", has_text="PDF")).to_have_count(1)
    expect(page.locator("#deadline-panel")).not_to_contain_text("The clock is stopped")
    page.locator("#match-candidates").get_by_role("button", name="Match").click()
    page.select_option("#identity-method", "id_document_copy")
    page.get_by_role("button", name="Identity verified").click()
    page.locator("#open-tasks").click()
    row = page.locator('#fulfilment-tasks tr[data-system="qonshu-app"]')
    row.locator('select[name="resolution"]').select_option("erased")
    row.get_by_role("button", name="Resolve").click()
    expect(
        page.locator('#fulfilment-tasks tr[data-system="qonshu-app"] .task-status')
    ).to_contain_text("Done")
    page.locator("#complete-request").click()
    page.select_option("#letter-channel", "email")
    page.select_option("#letter-language-final", "az")
    page.locator("#confirm-complete").click()
    expect(page.locator("#handling-panel")).to_contain_text("Completed")

    # The resident reads the answer on the status page; there is nothing to download.
    page.goto(status_path)
    expect(page.locator("#answer-heading")).to_have_text("Cavabımız")
    expect(page.locator(".letter")).to_contain_text(request.reference)
    expect(page.get_by_role("button", name="Mesajı göndər")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Məlumatlarımı yüklə"))).to_have_count(0)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED


def test_resident_downloads_the_access_package_by_the_link(
    page, live_server, qonshu, celery_worker_real
):
    organisation, dpo, person = qonshu
    submission = intake.submit(
        organisation,
        kind=RequestKind.ACCESS,
        fields={
            "requester_name": f"{person.first_name} {person.last_name}",
            "requester_email": person.email,
            "requester_fin": person.fin,
        },
        language="az",
    )
    request, _secret = intake.verify(submission)
    mail.outbox.clear()

    login(page, live_server, dpo.username)
    page.goto(f"/admin/requests/subjectrequest/{request.pk}/change/")
    page.locator("#match-candidates").get_by_role("button", name="Match").click()
    page.select_option("#identity-method", "id_document_copy")
    page.get_by_role("button", name="Identity verified").click()
    page.select_option("#package-language", "az")
    page.locator("#build-package").click()
    page.goto(f"/admin/requests/subjectrequest/{request.pk}/change/")
    expect(page.locator("#access-packages a", has_text="Download")).to_have_count(1, timeout=60_000)
    page.locator("#open-tasks").click()
    row = page.locator('#fulfilment-tasks tr[data-system="qonshu-app"]')
    row.locator('select[name="resolution"]').select_option(index=1)
    row.get_by_role("button", name="Resolve").click()
    page.locator("#complete-request").click()
    page.select_option("#letter-channel", "email")
    page.select_option("#letter-language-final", "az")
    page.locator("#confirm-complete").click()
    expect(page.locator("#handling-panel")).to_contain_text("Completed")

    [answer] = [m for m in mail.outbox if request.reference in m.subject]
    assert all(not name.endswith(".zip") for name, _c, _t in answer.attachments)
    download_path = path_in(answer, "/download/")
    page.goto(download_path)
    expect(page.locator("main")).to_contain_text("İstifadə olunan yükləmələr: 3-dən 0.")
    with page.expect_download() as caught:
        page.get_by_role("button", name="Məlumatlarımı yüklə (ZIP)").click()
    with zipfile.ZipFile(io.BytesIO(Path(caught.value.path()).read_bytes())) as archive:
        assert {"access-package.html", "access-package.json"} <= set(archive.namelist())
        assert person.fin in archive.read("access-package.json").decode()
    page.goto(download_path)
    expect(page.locator("main")).to_contain_text("İstifadə olunan yükləmələr: 3-dən 1.")


@pytest.mark.parametrize("language", ["az", "en"])
def test_every_public_page_in_both_languages(page, live_server, settings, language):
    organisation = make_organisation(
        "qonshu", name="Qonshu app", languages="az", dpo_email="info@qonshuapp.az"
    )
    person = make_person(organisation)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"/privacy/qonshu/?lang={language}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    shoot(page, f"home-{language}")
    page.locator('a[href$="/request/deletion/"]').click()
    shoot(page, f"request-form-{language}")
    page.locator("button[type=submit]").click()  # empty: every required field explained
    expect(page.locator(".error-summary")).to_be_visible()
    shoot(page, f"request-form-errors-{language}")
    page.locator("#id_requester_name").fill("Aysel Quliyeva")
    page.locator("#id_requester_email").fill(person.email)
    page.locator("#id_requester_fin").fill(person.fin)
    page.locator("button[type=submit]").click()
    shoot(page, f"submitted-{language}")
    page.goto(path_in(mail.outbox[0], "/verify/"))
    shoot(page, f"verify-{language}")
    page.locator("main button[type=submit]").click()
    request = SubjectRequest.objects.get()
    expect(page.locator("h1")).to_contain_text(request.reference)
    shoot(page, f"status-{language}")
    # The conversation as the person reads it.
    dpo = make_user(Role.DPO, organisation)
    conversation.write_to_person(request, body=QUESTION, acting_user=dpo, asks_for_information=True)
    conversation.receive_from_person(request, body=REPLY, via=RequestChannel.WEB)
    page.reload()
    expect(page.locator(".conversation li")).to_have_count(2)
    shoot(page, f"status-conversation-{language}")
    page.goto("/privacy/qonshu/status/")
    shoot(page, f"status-lookup-{language}")
    page.locator("#id_reference").fill(request.reference)
    page.locator("#id_secret").fill("wrong")
    page.locator("main button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    shoot(page, f"status-lookup-refused-{language}")
    # The download page, then the same link expired.
    Job.objects.create(
        kind=ACCESS_PACKAGE_JOB,
        organisation=organisation,
        parameters={"request_id": request.pk},
        result=b"PK\x05\x06" + b"\x00" * 18,
        result_name="package.zip",
    )
    link, url = downloads.create_link(request, actor=None)
    page.goto(re.sub(r"^https?://[^/]+", "", url))
    shoot(page, f"download-{language}")
    PackageLink.objects.filter(pk=link.pk).update(expires_at=link.created_at)
    page.reload()
    expect(page.locator("main [role=alert]")).to_be_visible()
    shoot(page, f"download-expired-{language}")
    page.goto(path_in(mail.outbox[0], "/verify/"))
    shoot(page, f"verify-used-{language}")
    # Too many forms from one place: 429 with a page that says what to do.
    settings.PRIVACY_CENTRE = {**settings.PRIVACY_CENTRE, "submissions_per_ip_per_hour": 0}
    page.goto("/privacy/qonshu/request/deletion/")
    page.locator("#id_requester_name").fill("Aysel Quliyeva")
    page.locator("#id_requester_email").fill("another@example.az")
    with page.expect_response(re.compile("/request/deletion/")) as answer:
        page.locator("main button[type=submit]").click()
    assert answer.value.status == 429
    shoot(page, f"too-many-{language}")
    # Keyboard: the skip link is the first stop and leads to the content.
    page.goto("/privacy/qonshu/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
