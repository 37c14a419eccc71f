"""E-signed applications (seed 000, 8.3): a PDF signed by a certificate of a trusted centre that
carries the requester's FIN verifies their identity; a tampered or changed document, a signer from
another centre, an expired or revoked certificate and a FIN mismatch are refused with their
reason and leave identity unverified. Keys, certificates, CRLs and PDFs are made by the test."""

import io
import logging

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from dpo_portal.audit.models import AuditEvent
from requests import attachments, services, signatures
from requests.models import (
    AttachmentKind,
    IdentityMethod,
    IdentityStatus,
    SignatureOutcome,
    SignatureValidation,
    TrustAnchor,
)
from tests.factories import Role, make_organisation, make_user
from tests.requests.fulfilment_helpers import dpo_and_organisation, make_person, make_request
from tests.requests.signing_helpers import (
    DAY,
    NOW,
    CertificationCentre,
    CrlServer,
    _issue,
    _name,
    application_pdf,
    sign_pdf,
)

pytestmark = pytest.mark.django_db

FIN = "7QK3RZ9"  # make_person's FIN
NAME = "Gülnarə Zeynalova-Qasımlı"


@pytest.fixture(autouse=True)
def short_fetches(settings, private_storage):
    settings.ESIGNATURE_FETCH_TIMEOUT_SECONDS = 5


@pytest.fixture(scope="module")
def centre():
    return CertificationCentre()


@pytest.fixture
def case(centre):
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    request = make_request(person, actor=dpo, verify=False)
    anchor = TrustAnchor(organisation=organisation, name="Test centre root")
    signatures.add_trust_anchor(anchor, centre.root.pem, actor=dpo)
    return organisation, dpo, person, request


def attach(request, data, dpo):
    upload = SimpleUploadedFile("application.pdf", data)
    return attachments.attach_file(request, upload, kind=AttachmentKind.APPLICATION, actor=dpo)


def check(request, data, dpo):
    validation = signatures.check_attachment(attach(request, data, dpo), actor=dpo)
    request.refresh_from_db()
    return validation


def test_a_valid_signature_carrying_the_requesters_fin_verifies_identity(centre, case):
    _organisation, dpo, _person, request = case
    signed = sign_pdf(application_pdf(), centre.signer(NAME, f"PNOAZ-{FIN}"), centre)

    validation = check(request, signed, dpo)

    assert validation.outcome == SignatureOutcome.VERIFIED
    assert request.identity_status == IdentityStatus.VERIFIED
    assert request.identity_method == IdentityMethod.E_SIGNATURE
    assert (validation.signer_fin, validation.signer_name) == (FIN, NAME)
    assert "Test Sertifikat Mərkəzi Root CA" in validation.trust_anchor
    assert "The signature is judged VALID" in validation.report
    assert "covers the entire file" in validation.report
    event = AuditEvent.objects.get(action="requests.signature_checked")
    assert event.details["outcome"] == "verified"
    assert FIN not in str(event.details) and "Zeynalova" not in str(event.details)
    assert AuditEvent.objects.filter(
        action="requests.identity_verified", details__method="e_signature"
    ).exists()


def test_a_tampered_pdf_is_refused_as_altered(centre, case):
    _organisation, dpo, _person, request = case
    signed = sign_pdf(application_pdf(), centre.signer(NAME, f"PNOAZ-{FIN}"), centre)
    at = signed.index(b"/MediaBox")
    tampered = signed[:at] + signed[at:].replace(b"595", b"596", 1)

    validation = check(request, tampered, dpo)

    assert validation.outcome == SignatureOutcome.TAMPERED
    assert request.identity_status == IdentityStatus.PENDING


def test_a_document_changed_after_signing_is_refused(centre, case):
    _organisation, dpo, _person, request = case
    signed = sign_pdf(application_pdf(), centre.signer(NAME, f"PNOAZ-{FIN}"), centre)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.root[generic.NameObject("/Lang")] = generic.TextStringObject("en")
    writer.update_root()
    changed = io.BytesIO()
    writer.write(changed)

    validation = check(request, changed.getvalue(), dpo)

    assert validation.outcome == SignatureOutcome.MODIFIED
    assert request.identity_status == IdentityStatus.PENDING


def test_a_signer_from_another_centre_is_untrusted(case):
    _organisation, dpo, _person, request = case
    other = CertificationCentre("Başqa Mərkəz")
    signed = sign_pdf(application_pdf(), other.signer(NAME, f"PNOAZ-{FIN}"), other)

    validation = check(request, signed, dpo)

    assert validation.outcome == SignatureOutcome.UNTRUSTED
    assert request.identity_status == IdentityStatus.PENDING


def test_an_expired_certificate_is_refused_as_expired(centre, case):
    _organisation, dpo, _person, request = case
    expired = centre.signer(
        NAME, f"PNOAZ-{FIN}", not_before=NOW - 400 * DAY, not_after=NOW - 10 * DAY
    )
    signed = sign_pdf(application_pdf(), expired, centre)

    validation = check(request, signed, dpo)

    assert validation.outcome == SignatureOutcome.EXPIRED
    assert request.identity_status == IdentityStatus.PENDING


def test_a_signature_by_someone_else_is_a_fin_mismatch(centre, case):
    _organisation, dpo, _person, request = case
    signed = sign_pdf(application_pdf(), centre.signer("Orxan Başqa", "PNOAZ-5ZK8R2T"), centre)

    validation = check(request, signed, dpo)

    assert validation.outcome == SignatureOutcome.FIN_MISMATCH
    assert validation.signer_fin == "5ZK8R2T"
    assert request.identity_status == IdentityStatus.PENDING


def test_a_certificate_without_a_fin_does_not_verify(centre, case):
    _organisation, dpo, _person, request = case
    signed = sign_pdf(application_pdf(), centre.signer(NAME, "TINAZ-1234567890"), centre)

    assert check(request, signed, dpo).outcome == SignatureOutcome.NO_IDENTIFIER
    assert request.identity_status == IdentityStatus.PENDING


def test_an_unsigned_pdf_says_it_carries_no_signature(case):
    _organisation, dpo, _person, request = case

    assert check(request, application_pdf(), dpo).outcome == SignatureOutcome.NOT_SIGNED


def test_a_revoked_certificate_is_refused_by_its_crl_served_over_http(centre, case):
    _organisation, dpo, _person, request = case
    server = CrlServer()
    try:
        issued = centre.signer(NAME, f"PNOAZ-{FIN}", crl_url=server.url)
        signed = sign_pdf(application_pdf(), issued, centre)
        server.crl = centre.crl(revoked=[issued])

        validation = check(request, signed, dpo)

        assert validation.outcome == SignatureOutcome.REVOKED
        assert server.requests >= 1
        assert request.identity_status == IdentityStatus.PENDING
        # The same certificate, not on the list: verified, after asking the CRL again.
        server.crl = centre.crl(revoked=[])
        asked = server.requests
        assert check(request, signed, dpo).outcome == SignatureOutcome.VERIFIED
        assert server.requests > asked
        assert request.identity_status == IdentityStatus.VERIFIED
    finally:
        server.stop()


def test_an_unreachable_crl_leaves_identity_unverified(centre, case):
    _organisation, dpo, _person, request = case
    server = CrlServer()
    url = server.url
    server.stop()  # the port is closed: the certificate's CRL cannot be fetched
    signed = sign_pdf(application_pdf(), centre.signer(NAME, f"PNOAZ-{FIN}", crl_url=url), centre)

    validation = check(request, signed, dpo)

    assert validation.outcome == SignatureOutcome.REVOCATION_UNKNOWN
    assert request.identity_status == IdentityStatus.PENDING


def test_no_personal_data_reaches_the_logs(centre, case, caplog):
    _organisation, dpo, _person, request = case
    other = CertificationCentre("Başqa Mərkəz")
    caplog.set_level(logging.DEBUG)

    check(request, sign_pdf(application_pdf(), other.signer(NAME, f"PNOAZ-{FIN}"), other), dpo)
    expired = centre.signer(NAME, f"PNOAZ-{FIN}", not_after=NOW - DAY)
    check(request, sign_pdf(application_pdf(), expired, centre), dpo)

    assert SignatureValidation.objects.count() == 2
    assert FIN not in caplog.text and "Zeynalova" not in caplog.text


@pytest.mark.parametrize(
    ("serial_number", "expected"),
    [
        ("PNOAZ-7QK3RZ9", {"7QK3RZ9"}),
        ("7qk3rz9", {"7QK3RZ9"}),
        ("FIN: 7QK3RZ9", {"7QK3RZ9"}),
        ("IDCAZ-7QK3RZ9", {"7QK3RZ9"}),
        ("TINAZ-1234567890", set()),  # a VÖEN is not a FIN
        ("7QK3RZI", set()),  # I is never in a FIN
    ],
)
def test_the_fin_is_read_from_the_subject_serial_number(serial_number, expected):
    root = _issue(_name("Root"), ca=True)
    issued = _issue(_name(NAME, SERIAL_NUMBER=serial_number), issuer=root, ca=False)

    assert signatures.fins_in(asn1_x509.Certificate.load(issued.der)) == expected


def test_the_fin_is_read_from_the_uid_or_an_alternative_directory_name():
    root = _issue(_name("Root"), ca=True)
    by_uid = _issue(_name(NAME, USER_ID="FIN-7QK3RZ9"), issuer=root, ca=False)
    by_san = _issue(
        _name(NAME),
        issuer=root,
        ca=False,
        san=[x509.DirectoryName(_name(NAME, SERIAL_NUMBER="PNOAZ-7QK3RZ9"))],
    )
    two = _issue(_name(NAME, SERIAL_NUMBER="7QK3RZ9", USER_ID="5ZK8R2T"), issuer=root, ca=False)

    assert signatures.fins_in(asn1_x509.Certificate.load(by_uid.der)) == {"7QK3RZ9"}
    assert signatures.fins_in(asn1_x509.Certificate.load(by_san.der)) == {"7QK3RZ9"}
    # Two FINs in one certificate: which is the holder's cannot be told.
    assert len(signatures.fins_in(asn1_x509.Certificate.load(two.der))) == 2


def test_a_check_without_trust_anchors_or_on_a_closed_request_is_refused(centre):
    organisation, dpo = dpo_and_organisation()
    request = make_request(make_person(organisation), actor=dpo, verify=False)
    attachment = attach(request, application_pdf(), dpo)

    with pytest.raises(ValidationError, match="No trust anchor"):
        signatures.check_attachment(attachment, actor=dpo)
    assert not SignatureValidation.objects.exists()


def test_scrubbing_the_requester_details_blanks_what_the_check_read(centre, case):
    _organisation, dpo, _person, request = case
    signed = sign_pdf(application_pdf(), centre.signer(NAME, f"PNOAZ-{FIN}"), centre)
    check(request, signed, dpo)

    services.scrub_requester_details([request.pk])

    validation = SignatureValidation.objects.get()
    assert (validation.signer_name, validation.signer_fin, validation.report) == ("", "", "")
    assert validation.certificate_subject == ""
    assert validation.outcome == SignatureOutcome.VERIFIED  # the outcome stays as evidence


# --- Admin -------------------------------------------------------------------------------------


def test_a_dpo_uploads_a_trust_anchor_and_sees_its_subject_and_fingerprint(client, centre):
    organisation, dpo = dpo_and_organisation()
    client.force_login(dpo)
    url = reverse("admin:requests_trustanchor_add")

    refused = client.post(
        url,
        {
            "organisation": organisation.pk,
            "name": "Signer, not a CA",
            "certificate_file": SimpleUploadedFile("signer.pem", centre.signer(NAME, FIN).pem),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "is not a certification authority" in refused.content.decode()
    added = client.post(
        url,
        {
            "organisation": organisation.pk,
            "name": "National root",
            "certificate_file": SimpleUploadedFile("root.cer", centre.root.der),
        },
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    anchor = TrustAnchor.objects.get()
    assert anchor.name == "National root" and anchor.added_by == dpo
    page = client.get(
        reverse("admin:requests_trustanchor_change", args=[anchor.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert anchor.fingerprint in page and "Test Sertifikat Mərkəzi Root CA" in page
    assert added.status_code == 200
    assert AuditEvent.objects.filter(action="requests.trust_anchor_added").exists()


def test_verify_e_signature_on_the_request_page_in_azerbaijani(client, centre, case):
    _organisation, dpo, _person, request = case
    attachment = attach(request, sign_pdf(application_pdf(), centre.signer(NAME, "x"), centre), dpo)
    client.force_login(dpo)
    page = client.get(reverse("admin:requests_subjectrequest_change", args=[request.pk]))
    url = reverse("admin:requests_signature_verify", args=[request.pk, attachment.pk])
    assert url in page.content.decode()

    confirmation = client.get(url, HTTP_ACCEPT_LANGUAGE="az")
    assert confirmation.status_code == 200
    result = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="az")

    assert "Sertifikatda FİN yoxdur" in result.content.decode()
    request.refresh_from_db()
    assert request.identity_status == IdentityStatus.PENDING
    panel = client.get(reverse("admin:requests_subjectrequest_change", args=[request.pk]))
    assert 'id="signatures-panel"' in panel.content.decode()


def test_another_organisations_attachment_cannot_be_checked(client, centre, case):
    _organisation, dpo, _person, request = case
    attachment = attach(request, application_pdf(), dpo)
    stranger = make_user(Role.DPO, make_organisation())
    client.force_login(stranger)
    url = reverse("admin:requests_signature_verify", args=[request.pk, attachment.pk])

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not SignatureValidation.objects.exists()


def test_identity_by_e_signature_cannot_be_ticked_by_hand(client, case):
    _organisation, dpo, _person, request = case
    client.force_login(dpo)
    page = client.get(reverse("admin:requests_subjectrequest_change", args=[request.pk]))
    assert (
        'value="e_signature"' not in page.content.decode().split('id="identity-method"')[1][:2000]
    )

    response = client.post(
        reverse("admin:requests_identity", args=[request.pk, "verify"]),
        {"method": "e_signature"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "use “Verify e-signature” on its attachment" in response.content.decode()
    request.refresh_from_db()
    assert request.identity_status == IdentityStatus.PENDING
