"""Reading an organisation's mailbox (imap-tools).

Every message of the read folder is taken once and moved to the processed folder, never
deleted. Taking a message is idempotent by its Message-ID: each is keyed by an HMAC of it
(of the raw message when it has none), so a message read twice, or read again after a crash
between the database commit and the move, is moved and nothing else.

A message that quotes the reference of one of the organisation's requests, sent from that
request's requester address, joins the request's conversation; any other becomes a draft in the
incoming-mail view, with its files kept under the attachment rules, and the sender gets an
acknowledgement quoting the draft's reference. Nothing a message says goes to a log, an audit
event or an exception: those carry ids and codes.
"""

import dataclasses
import datetime
import hashlib
import hmac
import imaplib
import re
import secrets
import ssl

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, MailboxLoginError

from dpo_portal.audit.models import AuditEvent
from dpo_portal.notifications.mail import render_mail

from .. import attachments, conversation
from ..models import REFERENCE_PREFIX, RequestChannel, SubjectRequest
from .models import (
    MAIL_REFERENCE_PREFIX,
    IncomingMail,
    IncomingMailAttachment,
    IncomingMailStatus,
    Mailbox,
    MailboxProblem,
    MailboxSecurity,
)

# Messages taken per run: a run stays short, the next one (or the retry) takes the rest.
BATCH = 50
TIMEOUT_SECONDS = 30
MAX_BODY_CHARS = 100_000
REQUEST_REFERENCE = re.compile(rf"\b{REFERENCE_PREFIX}-\d{{4}}-\d{{5}}\b")
MAIL_REFERENCE = re.compile(rf"\b{MAIL_REFERENCE_PREFIX}-(\d{{6,}})\b")
# RFC 3834 and the usual headers of bulk mail: no acknowledgement goes back to these, or two
# robots would answer each other for ever.
AUTOMATIC_PRECEDENCE = {"bulk", "list", "junk", "auto_reply"}


class MailboxUnavailable(Exception):
    """The mailbox could not be read; the message names the mailbox and the problem code only."""

    def __init__(self, mailbox_id, problem):
        super().__init__(mailbox_id, str(problem))  # plain args: the result backend pickles it
        self.mailbox_id = mailbox_id
        self.problem = str(problem)

    def __str__(self):
        return f"mailbox {self.mailbox_id}: {self.problem}"


@dataclasses.dataclass
class FetchResult:
    drafts: int = 0
    threaded: int = 0
    duplicates: int = 0

    @property
    def taken(self):
        return self.drafts + self.threaded + self.duplicates


def _client(mailbox):
    if mailbox.security == MailboxSecurity.PLAIN:
        return MailBoxUnencrypted(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)
    context = ssl.create_default_context()
    if mailbox.security == MailboxSecurity.STARTTLS:
        return MailBoxStartTls(
            mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS, ssl_context=context
        )
    return MailBox(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS, ssl_context=context)


def fetch_mailbox(mailbox_id, *, now=None):
    """Take up to BATCH messages of the mailbox. Raises MailboxUnavailable when the server
    cannot be reached or refuses the login (the task retries); a password that is not set is
    recorded on the mailbox and not retried (only a person can set it)."""
    mailbox = Mailbox.objects.select_related("organisation").get(pk=mailbox_id)
    if not mailbox.password_is_set:
        _record_problem(mailbox, MailboxProblem.PASSWORD_NOT_SET, now=now)
        return FetchResult()
    result = FetchResult()
    try:
        with _client(mailbox).login(
            mailbox.username, mailbox.password, initial_folder=mailbox.folder
        ) as box:
            if not box.folder.exists(mailbox.processed_folder):
                box.folder.create(mailbox.processed_folder)
            for message in box.fetch(limit=BATCH, mark_seen=False):  # one at a time in memory
                outcome = take_message(mailbox, message)
                setattr(result, outcome, getattr(result, outcome) + 1)
                # One by one: a crash leaves at most one message taken but not moved, and
                # its key makes the next run move it without taking it twice.
                box.move(message.uid, mailbox.processed_folder)
    except MailboxLoginError:
        _record_problem(mailbox, MailboxProblem.LOGIN_REFUSED, now=now)
        raise MailboxUnavailable(mailbox.pk, MailboxProblem.LOGIN_REFUSED) from None
    except (OSError, imaplib.IMAP4.error, ImapToolsError):  # OSError: refused, timeout, TLS
        # The server's words may quote a message: they are dropped, the code stays.
        _record_problem(mailbox, MailboxProblem.UNREACHABLE, now=now)
        raise MailboxUnavailable(mailbox.pk, MailboxProblem.UNREACHABLE) from None
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_checked_at=now or timezone.now(), problem="", problem_since=None, failed_attempts=0
    )
    return result


def _record_problem(mailbox, problem, *, now=None):
    now = now or timezone.now()
    with transaction.atomic():
        row = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        if row.problem != problem:
            row.problem_since = now
            AuditEvent.record(
                "requests.mailbox_problem",
                organisation=mailbox.organisation,
                target=row,
                problem=problem,
            )
        row.problem = problem
        row.failed_attempts += 1
        row.last_checked_at = now
        row.save(update_fields=["problem", "problem_since", "failed_attempts", "last_checked_at"])


def message_key(organisation_id, message):
    """HMAC-SHA256 of the Message-ID (or of the whole message without one), per organisation."""
    message_id = (message.headers.get("message-id") or ("",))[0].strip()
    material = message_id.encode() if message_id else message.obj.as_bytes()
    key = f"{settings.SECRET_KEY}:incoming-mail:{organisation_id}".encode()
    return hmac.new(key, material, hashlib.sha256).hexdigest()


def _sent_at(message):
    date = message.date
    if date.year < 1970:  # imap-tools' value for a missing or unreadable Date header
        return timezone.now()
    if timezone.is_naive(date):
        date = timezone.make_aware(date, datetime.UTC)
    return min(date, timezone.now())  # a sender's clock ahead of ours does not date the future


def _body(message):
    text = message.text or strip_tags(message.html or "")
    return text.strip()[:MAX_BODY_CHARS]


def _quoted_request(mailbox, message, sender_email):
    """The organisation's open-or-closed request this message answers, or None: a reference
    of the request (or of the draft it came from) in the subject, else in the text, and the
    sender is the request's requester. Someone who only knows a reference cannot write into
    another person's conversation: their message becomes a draft for the DPO to judge."""
    for text in (message.subject or "", message.text or ""):
        if match := REQUEST_REFERENCE.search(text):
            request = SubjectRequest.objects.filter(
                organisation_id=mailbox.organisation_id, reference=match.group(0)
            ).first()
        elif match := MAIL_REFERENCE.search(text):
            draft = (
                IncomingMail.objects.filter(
                    organisation_id=mailbox.organisation_id,
                    pk=int(match.group(1)),
                    status=IncomingMailStatus.REQUEST,
                )
                .select_related("request")
                .first()
            )
            request = draft.request if draft else None
        else:
            continue
        if (
            request is not None
            and not request.requester_scrubbed
            and sender_email
            and request.requester_email == sender_email
        ):
            return request
        return None
    return None


def _is_automatic(message):
    headers = message.headers
    auto = (headers.get("auto-submitted") or ("no",))[0].strip().lower()
    precedence = (headers.get("precedence") or ("",))[0].strip().lower()
    return auto != "no" or precedence in AUTOMATIC_PRECEDENCE


def take_message(mailbox, message):
    """Take one message; returns "drafts", "threaded" or "duplicates"."""
    stored = []
    try:
        return _take(mailbox, message, stored)
    except Exception:
        for name in stored:  # no file left behind without its row
            attachments.storage().delete(name)
        raise


def _take(mailbox, message, stored):
    key = message_key(mailbox.organisation_id, message)
    sender = message.from_values
    sender_email = (sender.email if sender else "").strip().lower()
    with transaction.atomic():
        # One reader per mailbox at a time: the key check and the insert cannot interleave.
        Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        if IncomingMail.objects.filter(
            organisation_id=mailbox.organisation_id, message_key=key
        ).exists():
            return "duplicates"
        request = _quoted_request(mailbox, message, sender_email)
        if request is not None and _thread(mailbox, message, request, key):
            return "threaded"
        mail = IncomingMail.objects.create(
            organisation_id=mailbox.organisation_id,
            mailbox=mailbox,
            message_key=key,
            sender_name=(sender.name if sender else "")[:200],
            sender_email=sender_email[:254],
            subject=(message.subject or "")[:500],
            body=_body(message),
            sent_at=_sent_at(message),
        )
        _keep_files(mail, message, stored)
        AuditEvent.record(
            "requests.mail_received",
            organisation=mailbox.organisation,
            target=mail,
            attachments=len(stored),
        )
        if sender_email and sender_email != mailbox.username.lower() and not _is_automatic(message):
            _acknowledge(mailbox, mail)
    return "drafts"


def _acceptable_files(message):
    """(name, bytes, file type or None) of the message's files, each judged by the attachment
    rules (size and content)."""
    for item in message.attachments:
        upload = ContentFile(item.payload, name=(item.filename or "")[:255])
        try:
            file_type = attachments.check_upload(upload)
        except ValidationError:
            file_type = None
        yield upload, file_type


def _keep_files(mail, message, stored):
    """Save the acceptable files (their names appended to ``stored`` as they are written, so
    the caller can delete them if the transaction fails) and one row per file that came."""
    rows = []
    for upload, file_type in _acceptable_files(message):
        name = ""
        if file_type is not None:
            name = attachments.storage().save(
                f"{secrets.token_hex(16)}.{attachments.EXTENSIONS[file_type]}", upload
            )
            stored.append(name)
        rows.append(
            IncomingMailAttachment(
                mail=mail,
                file_type=file_type or "",
                size=upload.size,
                stored_name=name,
                original_name=upload.name or "",
                kept=file_type is not None,
            )
        )
    IncomingMailAttachment.objects.bulk_create(rows)
    return stored


def _thread(mailbox, message, request, key):
    """Hand the message to the request's conversation; False when the conversation refuses it
    (the message then becomes a draft)."""
    files = [upload for upload, file_type in _acceptable_files(message) if file_type]
    try:
        with transaction.atomic():
            conversation.receive_from_person(
                request,
                body=_body(message)[: conversation.MAX_BODY_CHARS],
                attachments=files,
                via=RequestChannel.EMAIL,
            )
            mail = IncomingMail.objects.create(
                organisation_id=mailbox.organisation_id,
                mailbox=mailbox,
                message_key=key,
                status=IncomingMailStatus.THREADED,
                sent_at=_sent_at(message),
                request=request,
                decided_at=timezone.now(),
                content_removed_at=timezone.now(),
            )
            AuditEvent.record(
                "requests.mail_threaded",
                organisation=mailbox.organisation,
                target=mail,
                request_id=request.pk,
            )
    except ValidationError:
        return False
    return True


def _acknowledge(mailbox, mail):
    organisation = mailbox.organisation
    language = (organisation.language_list or [settings.LANGUAGE_CODE])[0]
    with translation.override(language):
        rendered = render_mail(
            "requests/email/mail_received",
            {"organisation": organisation, "reference": mail.reference},
        )
        subject = _("%(organisation)s: your message is received (%(reference)s)") % {
            "organisation": organisation.name,
            "reference": mail.reference,
        }
    to = [mail.sender_email]
    transaction.on_commit(
        lambda: send_mail(subject, rendered.text, None, to, html_message=rendered.html)
    )
