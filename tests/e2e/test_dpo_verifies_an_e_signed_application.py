"""A resident sends a deletion application signed with their enhanced e-signature. The DPO trusts
the certification centre's root (uploaded in the admin, subject and fingerprint shown), attaches
the signed PDF to the request, verifies the e-signature, reads the validation report and sees the
identity verified by enhanced e-signature on the request page. The certificates and the signed
PDF are made by the test (tests/requests/signing_helpers.py)."""

import concurrent.futures
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from requests.models import IdentityMethod, SubjectRequest, TrustAnchor
from tests.factories import login
from tests.requests.fulfilment_helpers import dpo_and_organisation, make_person, make_request
from tests.requests.signing_helpers import CertificationCentre, application_pdf, sign_pdf

SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots-i16-esign"))

WORDS = {
    "az": {
        "save": "Yadda saxla",
        "attach": "Qoş",
        "verify": "E-imzanı yoxla",
        "confirm": "Bəli, e-imzanı yoxla",
        "verified": "İmza etibarlıdır və imzalayan müraciət edəndir",
        "method": "Gücləndirilmiş elektron imza yoxlanılıb",
        "back": "Müraciətə qayıt",
    },
    "en": {
        "save": "Save",
        "attach": "Attach",
        "verify": "Verify e-signature",
        "confirm": "Yes, verify the e-signature",
        "verified": "Signature valid and the signer is the requester",
        "method": "Enhanced electronic signature checked",
        "back": "Back to the request",
    },
}


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("language", ["az", "en"])
def test_dpo_verifies_an_e_signed_application(page, live_server, settings, tmp_path, language):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    words = WORDS[language]
    centre = CertificationCentre()
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    request = make_request(person, actor=dpo, verify=False)
    signer = centre.signer(f"{person.first_name} {person.last_name}", f"PNOAZ-{person.fin}")
    # pyHanko signs in an asyncio loop of its own, and Playwright's runs in this thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        signed = pool.submit(sign_pdf, application_pdf(), signer, centre).result()

    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server, dpo.username)
    with page.expect_navigation():
        page.select_option("#language-select", language)

    # The centre's root, uploaded as PEM: the admin reads its subject and fingerprint.
    page.goto(f"{live_server.url}/admin/requests/trustanchor/add/")
    page.select_option("#id_organisation", str(organisation.pk))
    page.fill("#id_name", "Test Sertifikat Mərkəzi")
    page.set_input_files(
        "#id_certificate_file",
        files=[
            {"name": "root.pem", "mimeType": "application/x-pem-file", "buffer": centre.root.pem}
        ],
    )
    page.get_by_role("button", name=words["save"], exact=True).click()
    anchor = TrustAnchor.objects.get(organisation=organisation)
    page.goto(f"{live_server.url}/admin/requests/trustanchor/{anchor.pk}/change/")
    expect(page.locator(".field-fingerprint")).to_contain_text(anchor.fingerprint)
    expect(page.locator(".field-subject")).to_contain_text("Test Sertifikat Mərkəzi Root CA")
    shot(page, f"trust-anchor-{language}")

    # The signed application attached to the request, then checked.
    page.goto(f"{live_server.url}/admin/requests/subjectrequest/{request.pk}/change/")
    page.select_option("#attachment-kind", "application")
    page.set_input_files(
        "#attachment-file",
        files=[{"name": "ariza-imzali.pdf", "mimeType": "application/pdf", "buffer": signed}],
    )
    page.locator("#attach-form").get_by_role("button", name=words["attach"]).click()
    page.locator("#attachments").get_by_role("link", name=words["verify"]).click()
    expect(page.locator("#signature-confirm")).to_be_visible()
    expect(page.locator("#content")).to_contain_text(person.fin)
    shot(page, f"signature-confirmation-{language}")
    page.get_by_role("button", name=words["confirm"]).click()

    expect(page.locator("#signature-outcome")).to_contain_text(words["verified"])
    expect(page.locator("#signature-report")).to_contain_text("The signature is judged VALID")
    expect(page.locator("#content")).to_contain_text(person.fin)
    shot(page, f"signature-result-{language}")

    page.get_by_role("link", name=words["back"]).click()
    expect(page.locator("#identity-panel")).to_contain_text(words["method"])
    expect(page.locator("#signatures-panel")).to_contain_text(words["verified"])
    shot(page, f"request-identity-by-e-signature-{language}")
    request = SubjectRequest.objects.get(pk=request.pk)
    assert request.identity_method == IdentityMethod.E_SIGNATURE
