"""The privacy centre's use cases: a request sent from the form, confirmed by e-mail, then
entering the triage queue through the one intake service (services.register_request).

Until the person confirms their address, nothing is a request: a WebSubmission holds what they
typed for at most PRIVACY_CENTRE["unverified_days"], then goes whole (row and file). Tokens,
codes and secrets are kept as keyed digests. Mails go through render_mail and name the request by
its reference only.
"""

import datetime
import hmac
import logging
import secrets

from django.conf import settings
from django.core.files import File
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dpo_portal.audit.models import AuditEvent
from dpo_portal.notifications.mail import render_mail
from dpo_portal.register.models import Organisation

from .. import attachments, services
from ..models import RequestChannel, SubjectRequest, WebSubmission
from .links import absolute, digest

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
MAX_CODE_ATTEMPTS = 5


def setting(name):
    return settings.PRIVACY_CENTRE[name]


def mail_person(to, *, template, subject, context, language, reply_to=None):
    """Send once the transaction commits, in the person's language (never any message text)."""
    with translation.override(language):
        mail = render_mail(template, context)
        subject = str(subject)

    def send():
        message = EmailMultiAlternatives(subject, mail.text, None, [to], reply_to=reply_to)
        message.attach_alternative(mail.html, "text/html")
        message.send()

    transaction.on_commit(send)


def _dpo_reply_to(organisation):
    return [organisation.dpo_email] if organisation.dpo_email else None


# --- Sending the form -------------------------------------------------------------------------


@transaction.atomic
def submit(organisation, *, kind, fields, upload=None, upload_kind="", language, now=None):
    """Keep what the form sent, unverified, and mail the one-time link and code to its address.
    The upload is checked by the attachment rules and stored under a random name."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    submission = WebSubmission(
        organisation=organisation,
        language=language,
        kind=kind,
        token_digest=digest(token),
        code_digest="",
        expires_at=now + datetime.timedelta(hours=setting("verify_hours")),
        **{name: fields.get(name, "") or "" for name in WebSubmission.PERSONAL_FIELDS[:7]},
    )
    stored = ""
    if upload is not None:
        file_type = attachments.check_upload(upload)
        stored = attachments.storage().save(
            f"{secrets.token_hex(16)}.{attachments.EXTENSIONS[file_type]}", upload
        )
        submission.upload_stored_name = stored
        submission.upload_name = (upload.name or "")[:255]
        submission.upload_kind = upload_kind
    try:
        submission.save()
        submission.code_digest = digest(f"{submission.pk}:{code}")
        submission.save(update_fields=["code_digest"])
    except Exception:
        if stored:
            attachments.storage().delete(stored)
        raise
    verify_url = absolute(
        reverse("privacy:verify", kwargs={"organisation": organisation.slug, "token": token})
    )
    with translation.override(language):
        subject = _("Confirm your request to %(organisation)s") % {
            "organisation": organisation.name
        }
    mail_person(
        submission.requester_email,
        template="requests/public/email/verify",
        subject=subject,
        context={
            "organisation": organisation,
            "verify_url": verify_url,
            "code": code,
            "hours": setting("verify_hours"),
        },
        language=language,
        reply_to=_dpo_reply_to(organisation),
    )
    logger.info("privacy centre: submission %s sent for verification", submission.pk)
    return submission


# --- Confirming the address -------------------------------------------------------------------


class VerificationError(Exception):
    """The link or code does not confirm anything (unknown, expired, used or wrong)."""


def submission_for_token(organisation, token, *, now=None):
    now = now or timezone.now()
    submission = WebSubmission.objects.filter(
        organisation=organisation, token_digest=digest(token)
    ).first()
    if submission is None:
        raise VerificationError("unknown")
    if submission.verified_at is not None:
        raise VerificationError("used")
    if submission.expires_at <= now:
        raise VerificationError("expired")
    return submission


@transaction.atomic
def check_code(submission, code, *, now=None):
    """The short code typed on the device that sent the form; five tries, then the link only."""
    submission = WebSubmission.objects.select_for_update().get(pk=submission.pk)
    now = now or timezone.now()
    if submission.verified_at is not None:
        raise VerificationError("used")
    if submission.expires_at <= now or submission.code_attempts >= MAX_CODE_ATTEMPTS:
        raise VerificationError("expired")
    expected = submission.code_digest
    if not hmac.compare_digest(expected, digest(f"{submission.pk}:{(code or '').strip()}")):
        WebSubmission.objects.filter(pk=submission.pk).update(
            code_attempts=submission.code_attempts + 1
        )
        raise VerificationError("wrong")
    return verify(submission, now=now)


@transaction.atomic
def verify(submission, *, now=None):
    """The address is confirmed: the request is registered (channel web, received now) with its
    upload attached, the submission keeps only the status secret's digest, and the person is
    mailed the reference and the link to their status page. Returns (request, secret)."""
    now = now or timezone.now()
    submission = WebSubmission.objects.select_for_update().get(pk=submission.pk)
    if submission.verified_at is not None:
        raise VerificationError("used")
    organisation = submission.organisation
    request = services.register_request(
        SubjectRequest(
            organisation=organisation,
            kind=submission.kind,
            channel=RequestChannel.WEB,
            received_at=now,
            # What the form asks of the requester; an app's account id comes only by the API.
            **{
                name: getattr(submission, name)
                for name in SubjectRequest.REQUESTER_FIELDS
                if name in WebSubmission.PERSONAL_FIELDS
            },
        ),
        actor=None,
    )
    if submission.upload_stored_name:
        files = attachments.storage()
        with files.open(submission.upload_stored_name, "rb") as stored:
            upload = File(stored, name=submission.upload_name or submission.upload_stored_name)
            attachments.attach_file(request, upload, kind=submission.upload_kind, actor=None)
        pending = submission.upload_stored_name
        transaction.on_commit(lambda: files.delete(pending))
    secret = secrets.token_urlsafe(18)
    to = submission.requester_email
    for name in WebSubmission.PERSONAL_FIELDS:
        setattr(submission, name, "")
    submission.verified_at = now
    submission.request = request
    submission.secret_digest = digest(secret)
    submission.save()
    with translation.override(submission.language):
        subject = _("%(reference)s: your request to %(organisation)s is registered") % {
            "reference": request.reference,
            "organisation": organisation.name,
        }
    mail_person(
        to,
        template="requests/public/email/confirmed",
        subject=subject,
        context={
            "organisation": organisation,
            "request_obj": request,
            "secret": secret,
            "status_url": status_url(request, secret),
        },
        language=submission.language,
        reply_to=_dpo_reply_to(organisation),
    )
    return request, secret


def status_url(request, secret):
    return absolute(
        reverse(
            "privacy:status",
            kwargs={
                "organisation": request.organisation.slug,
                "reference": request.reference,
                "secret": secret,
            },
        )
    )


# --- The status page's key --------------------------------------------------------------------


def request_for_status(organisation, reference, secret):
    """The request this reference and secret open, or None (wrong secret, other organisation)."""
    submission = (
        WebSubmission.objects.filter(
            organisation=organisation,
            request__reference=(reference or "").strip().upper(),
            verified_at__isnull=False,
        )
        .select_related("request__organisation")
        .first()
    )
    if submission is None or not secret:
        return None
    if not hmac.compare_digest(submission.secret_digest, digest(secret.strip())):
        return None
    return submission.request


@transaction.atomic
def grant_status_access(request):
    """A status-page secret for a request that did not come through the form (a mailbox
    reply, a paper application): returns the new secret, or None when one exists already."""
    if WebSubmission.objects.filter(request=request).exists():
        return None
    secret = secrets.token_urlsafe(18)
    now = timezone.now()
    WebSubmission.objects.create(
        organisation_id=request.organisation_id,
        language=(request.organisation.language_list or [settings.LANGUAGE_CODE])[0],
        kind=request.kind,
        token_digest=digest(secrets.token_urlsafe(32)),
        code_digest="",
        expires_at=now,
        verified_at=now,
        secret_digest=digest(secret),
        request=request,
    )
    return secret


# --- Clean-up ---------------------------------------------------------------------------------


def discard_unverified(*, now=None):
    """Delete the submissions never confirmed within PRIVACY_CENTRE["unverified_days"]: rows
    and uploaded files. Each organisation's audit trail gets the count only."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=setting("unverified_days"))
    stale = WebSubmission.objects.filter(verified_at__isnull=True, created_at__lt=cutoff)
    by_organisation = {}
    files = []
    for organisation_id, stored in stale.values_list("organisation_id", "upload_stored_name"):
        by_organisation[organisation_id] = by_organisation.get(organisation_id, 0) + 1
        if stored:
            files.append(stored)
    if not by_organisation:
        return 0
    with transaction.atomic():
        count, _deleted = stale.delete()
        for organisation in Organisation.objects.filter(pk__in=by_organisation):
            AuditEvent.record(
                "requests.unverified_discarded",
                organisation=organisation,
                count=by_organisation[organisation.pk],
                older_than_days=setting("unverified_days"),
            )
        storage = attachments.storage()
        transaction.on_commit(lambda: [storage.delete(name) for name in files])
    return count
