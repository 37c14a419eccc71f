"""A resident walks in with a paper deletion request and an ID card. The DPO registers it,
attaches the scanned application, prints the acknowledgement, verifies the identity, resolves
the tasks, and closes the request by e-mailing the answer — which leaves before the resident's
details are erased, with the scanned application going from storage with them."""

import hashlib
import os
from pathlib import Path

from django.core import mail
from playwright.sync_api import expect

from requests.models import RequestAttachment, RequestStatus, ResponseLetter, SubjectRequest
from retention.models import Record, RecordStatus
from tests.factories import Role, login, make_user
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    three_systems,
)
from tests.test_pdf import pdf_text

SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots-i9-letters"))
SCANNED_APPLICATION = b"%PDF-1.4\n% scanned application, page 1\n" + b"0" * 4000 + b"\n%%EOF\n"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def save(name, content):
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / name).write_bytes(content)


def test_walk_in_paper_deletion_from_intake_to_the_emailed_answer(
    page, live_server, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    organisation, dpo = dpo_and_organisation()
    organisation.languages = "az,en"
    organisation.address = "Bakı, Nizami küç. 10"
    organisation.dpo_name, organisation.dpo_email = "Aynur Rzayeva", "dpo@allall.az"
    organisation.save()
    person = make_person(organisation)
    core, crm, _aml = three_systems(organisation)
    category = make_category(organisation, "identity", name="Identity")
    for system in (core, crm):
        make_record(person, system, category)
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server, dpo.username)

    # Intake at the desk: what the resident wrote on the form.
    page.goto("/admin/requests/subjectrequest/add/")
    page.locator(".field-organisation .select2-selection").click()
    page.locator(".select2-search__field").fill("AllAll")
    page.locator(".select2-results__option", has_text="AllAll Finance MMC").click()
    page.select_option("#id_kind", "deletion")
    page.select_option("#id_channel", "paper_with_id")
    page.fill("#id_requester_name", f"{person.first_name} {person.last_name}")
    page.fill("#id_requester_fin", person.fin)
    page.fill("#id_requester_email", person.email)
    page.fill("#id_requester_address", "Sumqayıt, Sülh küç. 44, mənzil 9")
    page.fill("#id_details", "Bütün məlumatlarımın silinməsini xahiş edirəm.")
    page.locator('input[name="_continue"]').click()
    request = SubjectRequest.objects.get(organisation=organisation)
    expect(page.locator("#deadline-panel")).to_be_visible()

    # The scanned application, attached from the request page.
    page.select_option("#attachment-kind", "application")
    page.set_input_files(
        "#attachment-file",
        files=[{"name": "ariza.pdf", "mimeType": "application/pdf", "buffer": SCANNED_APPLICATION}],
    )
    page.locator("#attach-form").get_by_role("button", name="Attach").click()
    attachments = page.locator("#attachments")
    expect(attachments).to_contain_text("Scanned application")
    expect(attachments).to_contain_text("PDF")
    expect(attachments).to_contain_text(dpo.username)
    shot(page, "dpo-request-page-en")
    # A program dressed as a PDF is refused with the reason.
    page.select_option("#attachment-kind", "id_copy")
    page.set_input_files(
        "#attachment-file",
        files=[{"name": "id.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" * 64}],
    )
    page.locator("#attach-form").get_by_role("button", name="Attach").click()
    expect(page.locator(".messagelist")).to_contain_text("whatever its name says")
    expect(attachments.locator("tbody tr")).to_have_count(1)
    download = page.request.get(
        page.locator("#attachments a").first.get_attribute("href"), max_redirects=0
    )
    assert download.status == 200 and download.body() == SCANNED_APPLICATION

    # The acknowledgement in Azerbaijani, handed over printed.
    page.select_option("#letter-kind", "acknowledgement")
    page.select_option("#letter-language", "az")
    page.get_by_role("button", name="Prepare the letter").click()
    expect(page.locator("#letter-addressee")).to_contain_text(person.last_name)
    expect(page.locator("#letter-body")).to_contain_text(request.reference)
    expect(page.locator("#letter-body")).to_contain_text("Bundan sonra nə baş verəcək")
    expect(page.locator("#letter-body")).to_contain_text("Aynur Rzayeva")
    shot(page, "dpo-acknowledgement-page-en")
    printed = page.pdf(format="A4")
    printed_text = pdf_text(printed)
    assert request.reference in printed_text and "Hörmətli" in printed_text
    assert "Send by e-mail" not in printed_text  # the tools are not printed
    acknowledgement = ResponseLetter.objects.get(request=request, kind="acknowledgement")
    save("acknowledgement-az.pdf", bytes(acknowledgement.pdf))
    page.get_by_role("link", name="Back to the request").click()

    # Identity seen in person; the person matched; one task per system, each resolved.
    page.locator("#match-candidates").get_by_role("button", name="Match").click()
    page.select_option("#identity-method", "id_document_seen")
    page.get_by_role("button", name="Identity verified").click()
    expect(page.locator("#identity-panel")).to_contain_text("Verified")
    page.locator("#open-tasks").click()
    tasks = page.locator("#fulfilment-tasks")
    expect(tasks.locator("tbody tr")).to_have_count(2)
    for code in ("core-banking", "crm"):
        row = tasks.locator(f'tr[data-system="{code}"]')
        row.locator('select[name="resolution"]').select_option("erased")
        row.get_by_role("button", name="Resolve").click()
        expect(tasks.locator(f'tr[data-system="{code}"] .task-status')).to_contain_text("Done")

    # Closing sends the answer first: by e-mail, in English, as the resident asked.
    page.locator("#complete-request").click()
    expect(page.locator("#final-letter")).to_contain_text(person.email)
    page.select_option("#letter-channel", "email")
    page.select_option("#letter-language-final", "en")
    shot(page, "dpo-complete-confirm-en")
    page.locator("#confirm-complete").click()
    expect(page.locator("#handling-panel")).to_contain_text("Completed")
    expect(page.locator("#letters")).to_contain_text("Accepted by the mail server")
    expect(page.locator("#attachments")).to_contain_text("File removed with the requester details")
    shot(page, "dpo-request-closed-en")

    [message] = mail.outbox
    assert message.to == [person.email]
    [(_name, sent_pdf, _type)] = message.attachments
    save("answer-en.pdf", sent_pdf)
    sent_text = " ".join(pdf_text(sent_pdf).split())
    assert f"Dear {person.first_name} {person.last_name}," in sent_text
    assert "Sumqayıt, Sülh küç. 44, mənzil 9" in sent_text
    assert "Erase — done. 1 record disposed." in sent_text
    answer = ResponseLetter.objects.get(request=request, kind="answer")
    assert answer.sha256 == hashlib.sha256(sent_pdf).hexdigest()

    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert request.requester_name == "" and request.requester_scrubbed
    assert set(Record.objects.filter(subject=person).values_list("status", flat=True)) == {
        RecordStatus.DISPOSED
    }
    assert not any((tmp_path / "attachments").iterdir())
    assert RequestAttachment.objects.get(request=request).removed_at is not None

    # The kept letter page: the body and its hash, without the person.
    page.locator("#letters a", has_text="Answer").click()
    expect(page.locator("#letter-body")).to_contain_text("What we did in each system")
    expect(page.locator("#letter-sheet")).not_to_contain_text(person.last_name)
    expect(page.locator("#letter-sha256")).to_have_text(answer.sha256)
    shot(page, "dpo-answer-kept-en")

    # The same pages in Azerbaijani, and as the auditor sees them.
    page.goto(f"/admin/requests/subjectrequest/{request.pk}/change/")
    page.select_option("#language-select", "az")
    expect(page.locator("#letters-heading")).to_have_text("Müraciət edənə məktublar")
    shot(page, "dpo-request-closed-az")
    page.goto(f"/admin/requests/subjectrequest/{request.pk}/letters/{acknowledgement.pk}/")
    shot(page, "dpo-acknowledgement-page-az")
    auditor = make_user(Role.AUDITOR, organisation)
    page.context.clear_cookies()
    login(page, live_server, auditor.username)
    page.goto(f"/admin/requests/subjectrequest/{request.pk}/change/")
    expect(page.locator("#attachments-panel")).to_be_visible()
    expect(page.locator("#attach-form")).to_have_count(0)
    shot(page, "auditor-request-page-en")
    page.select_option("#language-select", "az")
    expect(page.locator("#attachments-heading")).to_have_text("Qoşmalar")
    shot(page, "auditor-request-page-az")
