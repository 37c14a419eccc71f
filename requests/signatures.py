"""E-signed applications (seed 000, 8.3): a PDF signed with an enhanced electronic signature
(PAdES) is checked with pyHanko, and a signature whose certificate names the requester verifies
their identity.

What a check proves, in order (the first failure is the outcome):

- the file is a PDF that carries a signature (``unreadable``, ``not_signed``);
- integrity: the signed bytes hash to what was signed and the signature value is sound
  (``tampered``), and the signature covers the whole file: nothing was added after signing other
  than validation data (``modified``);
- trust: the signer's certificate chains to one of the organisation's trust anchors
  (``untrusted``), and was within its validity period (``expired``);
- revocation, where the certificate says how (CRL distribution points, OCSP responder in the
  authority information access): pyHanko fetches and checks it in **hard-fail** mode, so a
  certificate that names a CRL or OCSP responder that cannot be reached is not accepted
  (``revocation_unknown``: the DPO can check again later) and a revoked one is refused
  (``revoked``). A certificate that names no revocation source is checked for the rest only;
- identity: the FIN read from the certificate equals the request's FIN (the requester's, and the
  matched data subject's when there is one), both through the register's FIN normaliser
  (``no_identifier``, ``no_requester_fin``, ``fin_mismatch``).

Where the FIN sits. Azerbaijani enhanced-signature certificates (the national certification
services centre's e-imza, ASAN İmza) carry the holder's personal identification number in the
subject; no published certificate profile says in which attribute, so the check reads every
plausible place and accepts a value only when it is a well-formed FIN:

- the subject's ``serialNumber`` (2.5.4.5), bare (``5ZK8R2T``), with the ETSI EN 319 412-1
  natural-person semantics prefix (``PNOAZ-5ZK8R2T``, ``IDCAZ-…``) or labelled ``FIN`` (``FIN:…``,
  ``FIN-…``, ``FIN …``);
- the subject's ``uid`` (0.9.2342.19200300.100.1.1), in the same forms;
- the same attributes inside a ``directoryName`` of the subject alternative name.

Two different FINs in one certificate count as none. A VÖEN (10 digits, e.g. ``TINAZ-…`` in a
business certificate's organisationIdentifier) is never read as a FIN.

Signing time. The moment of validation is now (pyHanko's default), and the time the signer
reports must also fall within the certificate's validity: without a trusted timestamp a reported
time proves nothing by itself, so a certificate expired today is refused even for an application
dated earlier. Long-term validation (document timestamps, DSS) is not used.

Nothing here logs: pyHanko's own loggers quote certificate subjects (a name and a FIN) and are
silenced in settings.LOGGING; error messages name the outcome, never the person.
"""

import asyncio
import dataclasses
import datetime
import hashlib
import io
import re

import aiohttp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    InsufficientRevinfoError,
    PathBuildingError,
    PathValidationError,
)
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import FIN_RE, normalise_fin

from . import attachments, services
from .models import (
    IdentityMethod,
    SignatureOutcome,
    SignatureValidation,
    TrustAnchor,
)

# The holder's FIN in one attribute value: optional semantics prefix or label, then the FIN.
_FIN_VALUE_RE = re.compile(r"^(?:(?:PNO|IDC)AZ-|FIN\s*[:\-\s]\s*)?([0-9A-Z]{7})$")
_FIN_ATTRIBUTES = ("serial_number", "user_id")

# Integrity and trust outcomes from pyHanko's AdES sub-indications.
_REVOKED = {
    AdESFailure.REVOKED,
    AdESIndeterminate.REVOKED_NO_POE,
    AdESIndeterminate.REVOKED_CA_NO_POE,
}
_EXPIRED = {
    AdESFailure.NOT_YET_VALID,
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.NOT_YET_VALID,
}
_UNTRUSTED = {
    AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND,
    AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE,
    AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE,
}
_REVOCATION_UNKNOWN = {
    AdESIndeterminate.TRY_LATER,
    AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE,
}
_TAMPERED = {AdESFailure.HASH_FAILURE, AdESFailure.SIG_CRYPTO_FAILURE}
# Validation data (DSS, document timestamps) may be added after signing; nothing else.
_ALLOWED_MODIFICATIONS = {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES}


# --- Trust anchors ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CertificateFacts:
    der: bytes
    subject: str
    fingerprint: str
    not_before: datetime.datetime
    not_after: datetime.datetime


def read_ca_certificate(data: bytes) -> CertificateFacts:
    """The facts of a CA certificate uploaded as PEM or DER; refuse anything else."""
    try:
        if b"-----BEGIN" in data:
            certificate = x509.load_pem_x509_certificate(data)
        else:
            certificate = x509.load_der_x509_certificate(data)
    except ValueError as error:
        raise ValidationError(
            _("This file is not an X.509 certificate (PEM or DER): nothing was saved.")
        ) from error
    try:
        is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise ValidationError(
            _(
                "This certificate is not a certification authority's (its basic constraints do "
                "not say CA): a trust anchor must be the centre's root or intermediate "
                "certificate."
            )
        )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return CertificateFacts(
        der=der,
        subject=certificate.subject.rfc4514_string()[:500],
        fingerprint=hashlib.sha256(der).hexdigest(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


@transaction.atomic
def add_trust_anchor(anchor, data, *, actor):
    """Trust the CA certificate in ``data`` (PEM or DER) for the e-signatures of
    ``anchor.organisation``; ``anchor`` is unsaved, with its organisation and name."""
    facts = read_ca_certificate(data)
    if TrustAnchor.objects.filter(
        organisation_id=anchor.organisation_id, fingerprint=facts.fingerprint
    ).exists():
        raise ValidationError(_("This certificate is already a trust anchor of the organisation."))
    anchor.certificate = facts.der
    anchor.subject = facts.subject
    anchor.fingerprint = facts.fingerprint
    anchor.not_before = facts.not_before
    anchor.not_after = facts.not_after
    anchor.added_by = actor
    anchor.save()
    AuditEvent.record(
        "requests.trust_anchor_added",
        organisation=anchor.organisation,
        actor=actor,
        target=anchor,
        fingerprint=facts.fingerprint,
    )
    return anchor


# --- Validating a signed PDF ------------------------------------------------------------------


@dataclasses.dataclass
class SignatureCheck:
    """What the document and its certificate say, before the requester is compared."""

    outcome: str
    signer_name: str = ""
    signer_fin: str = ""
    certificate_subject: str = ""
    certificate_issuer: str = ""
    certificate_fingerprint: str = ""
    trust_anchor: str = ""
    signed_at: datetime.datetime | None = None
    report: str = ""


def fins_in(certificate: asn1_x509.Certificate) -> set[str]:
    """Every well-formed FIN in the places listed in the module docstring."""
    names = [certificate.subject]
    san = certificate.subject_alt_name_value
    for general_name in san or ():
        if general_name.name == "directory_name":
            names.append(general_name.chosen)
    found = set()
    for name in names:
        native = name.native
        for attribute in _FIN_ATTRIBUTES:
            values = native.get(attribute)
            for value in values if isinstance(values, list) else [values]:
                if not isinstance(value, str):
                    continue
                match = _FIN_VALUE_RE.match(normalise_fin(value))
                if match and FIN_RE.match(match.group(1)):
                    found.add(match.group(1))
    return found


def signer_name_of(certificate: asn1_x509.Certificate) -> str:
    native = certificate.subject.native
    given, surname = native.get("given_name", ""), native.get("surname", "")
    if given or surname:
        return f"{given} {surname}".strip()[:300]
    return (native.get("common_name") or "")[:300]


def _validation_context(trust_roots):
    return ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(der) for der in trust_roots],
        allow_fetching=True,
        revocation_mode="hard-fail",
        fetcher_backend=AIOHttpFetcherBackend(
            per_request_timeout=settings.ESIGNATURE_FETCH_TIMEOUT_SECONDS
        ),
    )


# Either usage marks a signing key (e-imza and ASAN İmza certificates set both or one).
_KEY_USAGE = KeyUsageConstraints(
    key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=False
)


def _outcome(status):
    if not status.intact or not status.valid or status.trust_problem_indic in _TAMPERED:
        return SignatureOutcome.TAMPERED
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE and (
        status.modification_level not in _ALLOWED_MODIFICATIONS
    ):
        return SignatureOutcome.MODIFIED
    indication = status.trust_problem_indic
    if indication in _REVOKED or status.revocation_details is not None:
        return SignatureOutcome.REVOKED
    if indication in _EXPIRED:
        return SignatureOutcome.EXPIRED
    if indication in _UNTRUSTED:
        return SignatureOutcome.UNTRUSTED
    if indication in _REVOCATION_UNKNOWN:
        return SignatureOutcome.REVOCATION_UNKNOWN
    if not status.bottom_line:
        return SignatureOutcome.INVALID
    certificate = status.signing_cert
    reported = status.signer_reported_dt
    validity = certificate["tbs_certificate"]["validity"]
    if reported is not None and not (
        validity["not_before"].native <= reported <= validity["not_after"].native
    ):
        return SignatureOutcome.EXPIRED
    return SignatureOutcome.VERIFIED


def check_document(data: bytes, *, trust_roots) -> SignatureCheck:
    """Validate the first signature of the PDF in ``data`` against ``trust_roots`` (DER
    certificates). Touches no database; fetches revocation data where the certificate says."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError):
        return SignatureCheck(SignatureOutcome.UNREADABLE)
    if not signatures:
        return SignatureCheck(SignatureOutcome.NOT_SIGNED)
    # The application's signature is the first. Whatever follows it must be validation data
    # (DSS, document timestamps): a later signature or form filling counts as a change.
    embedded = signatures[0]
    try:
        certificate = embedded.signer_cert
    except (SignatureValidationError, ValueError, KeyError):
        return SignatureCheck(SignatureOutcome.INVALID)
    check = SignatureCheck(
        outcome=SignatureOutcome.INVALID,
        signer_name=signer_name_of(certificate),
        certificate_subject=certificate.subject.human_friendly[:1000],
        certificate_issuer=certificate.issuer.human_friendly[:1000],
        certificate_fingerprint=certificate.sha256.hex(),
    )
    fins = fins_in(certificate)
    check.signer_fin = fins.pop() if len(fins) == 1 else ""
    try:
        status = validate_pdf_signature(
            embedded,
            signer_validation_context=_validation_context(trust_roots),
            key_usage_settings=_KEY_USAGE,
        )
    except (TimeoutError, aiohttp.ClientError, OSError):
        # Hard fail: the revocation source the certificate names could not be reached.
        check.outcome = SignatureOutcome.REVOCATION_UNKNOWN
        check.report = _("The revocation source named by the certificate could not be reached.")
        return check
    except (SignatureValidationError, ValueError):
        check.report = _("The signature could not be processed.")
        return check
    check.outcome = _outcome(status)
    if status.trust_problem_indic == AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE:
        # pyHanko reports a revocation source that could not be reached (hard fail) like any
        # other path failure; the path is walked again to tell the two apart.
        check.outcome = _path_failure(embedded, trust_roots)
    check.signed_at = status.signer_reported_dt
    if status.validation_path is not None:
        check.trust_anchor = status.validation_path.trust_anchor.authority.name.human_friendly[
            :1000
        ]
    check.report = status.pretty_print_details()
    return check


def _path_failure(embedded, trust_roots):
    validator = CertificateValidator(
        embedded.signer_cert,
        intermediate_certs=embedded.other_embedded_certs,
        validation_context=_validation_context(trust_roots),
    )
    try:
        asyncio.run(validator.async_validate_path())
    except InsufficientRevinfoError:
        return SignatureOutcome.REVOCATION_UNKNOWN
    except (PathValidationError, PathBuildingError, ValueError):
        return SignatureOutcome.UNTRUSTED
    return SignatureOutcome.INVALID


# --- The use case -----------------------------------------------------------------------------


def _expected_fins(request):
    fins = {normalise_fin(request.requester_fin)}
    if request.subject_id is not None:
        fins.add(normalise_fin(request.subject.fin))
    return fins - {""}


def check_attachment(attachment, *, actor):
    """Validate an attached e-signed application and, when the signer is the requester, record
    identity verified by enhanced e-signature. Every check is kept with the request (its report
    is evidence), refused ones too; returns the SignatureValidation."""
    request = attachment.request
    if not request.is_open:
        raise ValidationError(_("The request is closed."))
    if attachment.file_type != "PDF" or attachment.is_removed:
        raise ValidationError(_("Only an attached PDF can be checked for an e-signature."))
    trust_roots = list(
        TrustAnchor.objects.filter(organisation_id=request.organisation_id).values_list(
            "certificate", flat=True
        )
    )
    if not trust_roots:
        raise ValidationError(
            _(
                "No trust anchor is set for this organisation: add the certification centre's "
                "root certificate under e-signature trust anchors first."
            )
        )
    with attachments.open_file(attachment) as handle:
        data = handle.read()
    # Outside any transaction: revocation data may be fetched over the network.
    check = check_document(data, trust_roots=[bytes(der) for der in trust_roots])
    if check.outcome == SignatureOutcome.VERIFIED:
        expected = _expected_fins(request)
        if not check.signer_fin:
            check.outcome = SignatureOutcome.NO_IDENTIFIER
        elif not expected:
            check.outcome = SignatureOutcome.NO_REQUESTER_FIN
        elif expected != {check.signer_fin}:
            check.outcome = SignatureOutcome.FIN_MISMATCH
    return _record(request, attachment, check, actor=actor)


@transaction.atomic
def _record(request, attachment, check, *, actor):
    validation = SignatureValidation.objects.create(
        organisation_id=request.organisation_id,
        request=request,
        attachment=attachment,
        validated_by=actor,
        validated_at=timezone.now(),
        **dataclasses.asdict(check),
    )
    AuditEvent.record(
        "requests.signature_checked",
        organisation=request.organisation,
        actor=actor,
        target=request,
        attachment_id=attachment.pk,
        validation_id=validation.pk,
        outcome=check.outcome,
        # The stored report's hash, in the hash chain: a later edit of the report shows.
        report_sha256=hashlib.sha256(check.report.encode()).hexdigest(),
    )
    if validation.verified:
        services.verify_identity(request, method=IdentityMethod.E_SIGNATURE, actor=actor)
    return validation


def latest_checks(request):
    """The request's checks, newest first, for the request page and the evidence."""
    return request.signature_validations.select_related("validated_by", "attachment").order_by(
        "-validated_at", "-pk"
    )
