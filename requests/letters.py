"""Letters to the requester: the acknowledgement at intake and the answer, from the template to
the PDF on the organisation's letterhead, sent by e-mail or marked posted by hand.

A letter is rendered wholly in its own language (translation.override), from the organisation's
own template for that letter and language when the DPO wrote one (LetterTemplate), else from the
shipped one in templates/requests/letters/. It is kept in three parts: the addressing block and
salutation (personal data, scrubbed with the requester details), the body (kept for good), and
the PDF that was sent (scrubbed too) with its SHA-256 (kept: the proof of what was sent).

Each use case takes a keyword-only ``actor``, runs in one transaction and writes its own audit
event with ids and codes only. Log lines name the letter by id, never the person.
"""

import hashlib
import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template import engines
from django.template.loader import select_template
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dpo_portal.audit.models import AuditEvent
from dpo_portal.notifications.mail import render_text
from dpo_portal.pdf import render_pdf

from .models import (
    DeliveryStatus,
    LetterChannel,
    LetterKind,
    LetterTemplate,
    ResponseLetter,
    SubjectRequest,
    TaskStatus,
)
from .public import downloads

logger = logging.getLogger(__name__)

PDF_TEMPLATE = "requests/letter_pdf.html"
REDACTED = "[…]"


def letter_languages(request):
    """(code, name) of the languages a letter of this request may be written in: the
    organisation's own, and English."""
    own = request.organisation.language_list or ["az"]
    return [(code, name) for code, name in settings.LANGUAGES if code in own or code == "en"]


# --- Templates --------------------------------------------------------------------------------


def template_key(request, kind):
    return kind if kind == LetterKind.ACKNOWLEDGEMENT else request.kind


def shipped_template_names(key, language):
    return [f"requests/letters/{key}_{language}.txt", f"requests/letters/default_{language}.txt"]


def shipped_template_source(key, language):
    """The text of the shipped template, as the starting point of an organisation's own."""
    template = select_template(shipped_template_names(key, language), using="text")
    return template.template.source


def compile_template_text(text):
    """A DPO's template text as a template (raises TemplateSyntaxError with the line)."""
    return engines["text"].from_string(text)


def find_template(request, kind, language):
    """(template, name): the organisation's own for this letter and language, else shipped."""
    key = template_key(request, kind)
    own = LetterTemplate.objects.filter(
        organisation_id=request.organisation_id, key=key, language=language
    ).first()
    if own is not None:
        return compile_template_text(own.text), f"organisation:{own.pk}"
    template = select_template(shipped_template_names(key, language), using="text")
    return template, template.template.name


def letter_context(request):
    tasks = list(request.tasks.select_related("system"))
    return {
        "request": request,
        "organisation": request.organisation,
        "legal_reference": request.legal_reference,
        "today": timezone.localdate(),
        "tasks": tasks,
        "kept_tasks": [task for task in tasks if task.status == TaskStatus.KEPT],
        "deadline_events": list(request.deadline_events.all()),
    }


def addressing(request):
    """(addressee block, salutation) in the active language: name, postal and e-mail address."""
    lines = [request.requester_name or _("The applicant")]
    if request.requester_address:
        lines.extend(line.strip() for line in request.requester_address.splitlines())
    if request.requester_email:
        lines.append(request.requester_email)
    if request.requester_name:
        salutation = _("Dear %(name)s,") % {"name": request.requester_name}
    else:
        salutation = _("Dear applicant,")
    return "\n".join(line for line in lines if line), salutation


def render_letter(request, *, kind, language, template=None):
    """(addressee, salutation, body, template name) of the letter, all in ``language``.
    ``template`` renders a given template instead of the stored one (the template preview)."""
    with translation.override(language):
        name = "preview"
        if template is None:
            template, name = find_template(request, kind, language)
        body = template.render(letter_context(request)).strip()
        addressee, salutation = addressing(request)
    return addressee, salutation, body, name


def letter_pdf(letter, request=None):
    request = request or letter.request
    with translation.override(letter.language):
        return render_pdf(PDF_TEMPLATE, sheet_context(letter, request))


def sheet_context(letter, request):
    return {
        "letter": letter,
        "request_obj": request,
        "organisation": request.organisation,
        "dated": timezone.localtime(letter.created_at or timezone.now()).date(),
    }


# --- Preparing --------------------------------------------------------------------------------


@transaction.atomic
def create_letter(request, *, language, actor, kind=LetterKind.ANSWER, body=None):
    """Fill the template (or keep the DPO's edited ``body``), render the PDF and keep both."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Unknown language."))
    if kind not in LetterKind.values:
        raise ValidationError(_("Unknown letter."))
    if request.requester_scrubbed:
        raise ValidationError(
            _("The requester details have been removed: there is nobody to address a letter to.")
        )
    addressee, salutation, rendered, name = render_letter(request, kind=kind, language=language)
    letter = ResponseLetter(
        request=request,
        kind=kind,
        language=language,
        template=name,
        addressee=addressee,
        salutation=salutation,
        body=body if body is not None else rendered,
        created_by=actor,
        created_at=timezone.now(),
    )
    letter.pdf = letter_pdf(letter, request)
    letter.sha256 = hashlib.sha256(letter.pdf).hexdigest()
    letter._history_user = actor
    letter.save()
    AuditEvent.record(
        "requests.letter_created",
        organisation=request.organisation,
        actor=actor,
        target=request,
        letter_id=letter.pk,
        letter=kind,
        language=language,
        sha256=letter.sha256,
    )
    return letter


# --- Sending ----------------------------------------------------------------------------------


def email_text(letter):
    """The plain-text body of the e-mail: the letter itself (never HTML-escaped)."""
    return f"{letter.salutation}\n\n{letter.body}\n"


def _require_unscrubbed(letter):
    if not letter.pdf:
        raise ValidationError(
            _("The letter's PDF was removed with the requester details; only its text is kept.")
        )


@transaction.atomic
def send_by_email(letter, *, actor, strict=False):
    """E-mail the letter's PDF to the requester and record what the mail server said.

    A refusal is recorded on the letter (delivery "refused", the error's class) and reported as a
    ValidationError; with ``strict`` the caller's transaction is expected to roll back with it
    (the closing step: a deletion is not scrubbed when its answer could not leave).
    """
    letter = (
        ResponseLetter.objects.select_for_update()
        .select_related("request__organisation")
        .get(pk=letter.pk)
    )
    request = letter.request
    _require_unscrubbed(letter)
    if not request.requester_email:
        raise ValidationError(_("The requester left no e-mail address: send the letter by post."))
    organisation = request.organisation
    with translation.override(letter.language):
        subject = _("%(reference)s: %(letter)s from %(organisation)s") % {
            "reference": request.reference,
            "letter": letter.get_kind_display(),
            "organisation": organisation.name,
        }
        body = email_text(letter)
        if letter.kind == LetterKind.ANSWER and downloads.latest_package(request) is not None:
            # The access package goes by an expiring link, never attached: a mailbox keeps
            # attachments for ever, the link dies after its hours or downloads.
            link, url = downloads.create_link(request, actor=actor)
            body += "\n" + render_text(
                "requests/email/package_link.txt", {"link": link, "url": url}
            )
        message = EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[request.requester_email],
            reply_to=[organisation.dpo_email] if organisation.dpo_email else None,
        )
        message.attach(f"{request.reference}.pdf", bytes(letter.pdf), "application/pdf")
    try:
        sent = message.send()
    except Exception as error:  # the backend's own exception classes vary (SMTP, socket, …)
        status, detail = DeliveryStatus.FAILED, type(error).__name__
    else:
        status = DeliveryStatus.ACCEPTED if sent else DeliveryStatus.FAILED
        detail = "" if sent else "0 messages accepted"
    logger.info("letter %s: e-mail %s %s", letter.pk, status, detail)
    letter.channel = LetterChannel.EMAIL
    letter.sent_at, letter.sent_by = timezone.now(), actor
    letter.delivery_status, letter.delivery_detail = status, detail
    letter._history_user = actor
    letter.save()
    AuditEvent.record(
        "requests.letter_emailed",
        organisation=organisation,
        actor=actor,
        target=request,
        letter_id=letter.pk,
        delivery=status,
        detail=detail,
        sha256=letter.sha256,
    )
    if status != DeliveryStatus.ACCEPTED:
        error = ValidationError(
            _("The mail server did not accept the letter (%(detail)s).") % {"detail": detail}
        )
        if strict:
            raise error
        letter.delivery_error = error
    return letter


@transaction.atomic
def mark_posted(letter, *, actor, on):
    """The paper letter went out by post on ``on`` (printed from its PDF)."""
    letter = ResponseLetter.objects.select_for_update().select_related("request").get(pk=letter.pk)
    if on is None or on > timezone.localdate():
        raise ValidationError(_("Give the day the letter was posted (not a future day)."))
    if on < timezone.localtime(letter.created_at).date():
        raise ValidationError(_("A letter cannot be posted before it was prepared."))
    letter.channel = LetterChannel.POST
    letter.posted_on, letter.sent_by, letter.sent_at = on, actor, timezone.now()
    letter._history_user = actor
    letter.save()
    AuditEvent.record(
        "requests.letter_posted",
        organisation=letter.request.organisation,
        actor=actor,
        target=letter.request,
        letter_id=letter.pk,
        posted_on=on,
        sha256=letter.sha256,
    )
    if letter.request.requester_scrubbed:
        # Kept only until it was posted (see scrub_letters).
        _drop_addressing([letter.pk])
    return letter


def send_final_letter(request, *, language, channel, actor):
    """The answer, prepared as the request is closed and before anything is scrubbed: by e-mail
    it leaves now (a refusal by the mail server stops the closing); for post it waits, with its
    address, until the DPO marks it posted."""
    if channel not in LetterChannel.values:
        raise ValidationError(_("Choose how the answer is sent: by e-mail or by post."))
    if channel == LetterChannel.POST and not request.requester_address:
        raise ValidationError(_("The requester left no postal address: send the letter by e-mail."))
    if channel == LetterChannel.EMAIL and not request.requester_email:
        raise ValidationError(_("The requester left no e-mail address: send the letter by post."))
    letter = create_letter(request, language=language, actor=actor, kind=LetterKind.ANSWER)
    if channel == LetterChannel.EMAIL:
        return send_by_email(letter, actor=actor, strict=True)
    ResponseLetter.objects.filter(pk=letter.pk).update(channel=LetterChannel.POST)
    letter.channel = LetterChannel.POST
    return letter


# --- Scrubbing --------------------------------------------------------------------------------


def awaiting_post(letters):
    return letters.filter(channel=LetterChannel.POST, posted_on__isnull=True)


def requester_identifiers(request_ids):
    """Every way the requesters of these requests are written in what they sent us: each value
    whole, each line of an address, and each part of a name ("Dear Aysel," names one part).
    Address words are not redacted one by one: "street" or "flat" name nobody."""
    values = set()
    rows = SubjectRequest.objects.filter(pk__in=request_ids).values_list(
        *SubjectRequest.REQUESTER_FIELDS[:-1]
    )
    name_index = SubjectRequest.REQUESTER_FIELDS.index("requester_name")
    for row in rows:
        for index, value in enumerate(row):
            value = (value or "").strip()
            if not value:
                continue
            values.add(value)
            values.update(line.strip() for line in value.splitlines() if line.strip())
            if index == name_index:
                values.update(part for part in re.split(r"[\s,]+", value) if len(part) >= 3)
    return sorted(values, key=len, reverse=True)


def redact(text, identifiers):
    for value in identifiers:
        text = re.sub(re.escape(value), REDACTED, text, flags=re.IGNORECASE)
    return text


def _redact_bodies(letter_ids, identifiers):
    if not identifiers:
        return
    for rows in (
        ResponseLetter.objects.filter(pk__in=letter_ids),
        ResponseLetter.history.filter(id__in=letter_ids),
    ):
        for pk, body in rows.values_list("pk", "body"):
            redacted = redact(body, identifiers)
            if redacted != body:
                rows.filter(pk=pk).update(body=redacted)


def _drop_addressing(letter_ids):
    ResponseLetter.objects.filter(pk__in=letter_ids).update(addressee="", salutation="", pdf=None)
    ResponseLetter.history.filter(id__in=letter_ids).update(addressee="", salutation="")


def scrub_letters(request_ids):
    """Remove the addressing block and PDF of the requests' letters (live and history rows) and
    anything of the requester typed into a body; keep the body and the hash. A paper letter not
    yet posted keeps its address and PDF until it is (mark_posted drops them then).

    Call before the request rows are blanked: the identifiers are read from them."""
    letters = ResponseLetter.objects.filter(request_id__in=request_ids)
    _redact_bodies(list(letters.values_list("pk", flat=True)), requester_identifiers(request_ids))
    _drop_addressing(
        list(letters.exclude(pk__in=awaiting_post(letters)).values_list("pk", flat=True))
    )
