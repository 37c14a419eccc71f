"""The privacy centre's pages: the organisation's front door, the request form, the e-mail
confirmation, the status page with the conversation, and the package download.

Server-rendered and usable without JavaScript. Every answer is the same whether or not the
person is in the register: nothing here reads it. Another organisation's request, a wrong secret
or an unknown link answer 404.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from consent.models import PrivacyNotice
from dpo_portal.register.models import Organisation

from .. import conversation
from ..models import CLOSED_STATUSES, LetterKind, RequestChannel, RequestKind, WebSubmission
from . import downloads, intake, throttle
from .forms import CodeForm, ReplyForm, RequestForm, StatusLookupForm, needs_identity, offered_kinds

SESSION_SUBMISSION = "privacy_submission"
HOUR, DAY = 3600, 86400


# --- Language ---------------------------------------------------------------------------------


def _language(request, organisation):
    """?lang= (the switch), else the cookie of an earlier choice, else the browser's language
    when the organisation speaks it, else the organisation's first language."""
    own = organisation.language_list or [settings.LANGUAGE_CODE]
    offered = [code for code, _name in settings.LANGUAGES]
    chosen = request.GET.get("lang")
    if chosen in offered:
        return chosen, True
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in offered:
        return cookie, False
    browser = translation.get_language_from_request(request)
    if browser in own:
        return browser, False
    return own[0], False


def _page(request, organisation, template, context=None, status=200):
    language, switched = _language(request, organisation)
    translation.activate(language)
    request.LANGUAGE_CODE = language
    notices = PrivacyNotice.objects.current().filter(organisation=organisation)
    notice = next((n for n in notices if n.language == language), None) or next(iter(notices), None)
    response = TemplateResponse(
        request,
        template,
        {
            "organisation": organisation,
            "notice": notice,
            "language": language,
            "languages": [(code, name) for code, name in settings.LANGUAGES],
            **(context or {}),
        },
        status=status,
    )
    if switched:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * DAY, samesite="Lax"
        )
    return response


def _organisation(request, slug):
    """The organisation of the address, with the page's language active from here on (what
    the view reads, like the regime's plain descriptions, comes in that language)."""
    organisation = get_object_or_404(Organisation, slug=slug)
    translation.activate(_language(request, organisation)[0])
    return organisation


def _ip_over_limit(request, scope, *, factor=1):
    """Guessing codes and secrets from one place: past the hourly limit, 429."""
    limit = settings.PRIVACY_CENTRE["lookups_per_ip_per_hour"] * factor
    return throttle.over_limit(scope, throttle.client_ip(request), limit=limit, seconds=HOUR)


def _too_many(request, organisation):
    return _page(request, organisation, "requests/public/too_many.html", status=429)


# --- The front door and the form --------------------------------------------------------------


def home(request, organisation):
    organisation = _organisation(request, organisation)
    return _page(
        request, organisation, "requests/public/home.html", {"kinds": offered_kinds(organisation)}
    )


@require_http_methods(["GET", "POST"])
def request_form(request, organisation, kind):
    organisation = _organisation(request, organisation)
    offers = {
        code: (label, description) for code, label, description in offered_kinds(organisation)
    }
    if kind not in offers:
        raise Http404
    form = RequestForm(
        request.POST or None, request.FILES or None, organisation=organisation, kind=kind
    )
    if request.method == "POST":
        limits = settings.PRIVACY_CENTRE
        if throttle.over_limit(
            "submit-ip",
            throttle.client_ip(request),
            limit=limits["submissions_per_ip_per_hour"],
            seconds=HOUR,
        ) or throttle.over_limit(
            "submit-address",
            (request.POST.get("requester_email") or "").strip().lower(),
            limit=limits["submissions_per_address_per_day"],
            seconds=DAY,
        ):
            return _too_many(request, organisation)
        if form.is_robot:
            request.session.pop(SESSION_SUBMISSION, None)
            return redirect("privacy:submitted", organisation=organisation.slug)
        if form.is_valid():
            data = form.cleaned_data
            language, _switched = _language(request, organisation)
            try:
                submission = intake.submit(
                    organisation,
                    kind=kind,
                    fields={name: data.get(name, "") for name in form.requester_fields()},
                    upload=data.get("upload"),
                    upload_kind=data.get("upload_kind") or "",
                    language=language,
                )
            except ValidationError as error:
                form.add_error("upload", error)
            else:
                request.session[SESSION_SUBMISSION] = submission.pk
                return redirect("privacy:submitted", organisation=organisation.slug)
    label, description = offers[kind]
    return _page(
        request,
        organisation,
        "requests/public/request_form.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": RequestKind(kind).label,
            "kind_description": description,
            "asks_identity": needs_identity(kind),
        },
    )


@require_http_methods(["GET", "POST"])
def submitted(request, organisation):
    """ "Check your e-mail", the same page for everyone; with the code form for the device that
    sent the form (the session knows its submission)."""
    organisation = _organisation(request, organisation)
    submission_id = request.session.get(SESSION_SUBMISSION)
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if _ip_over_limit(request, "code-ip"):
            return _too_many(request, organisation)
        submission = WebSubmission.objects.filter(
            pk=submission_id, organisation=organisation
        ).first()
        if form.is_valid():
            if submission is None:
                form.add_error("code", _("This code does not confirm a request."))
            else:
                try:
                    request_obj, secret = intake.check_code(submission, form.cleaned_data["code"])
                except intake.VerificationError as error:
                    form.add_error("code", _verification_message(str(error)))
                else:
                    request.session.pop(SESSION_SUBMISSION, None)
                    return HttpResponseRedirect(_status_path(request_obj, secret))
    return _page(
        request,
        organisation,
        "requests/public/submitted.html",
        {"form": form, "hours": settings.PRIVACY_CENTRE["verify_hours"]},
    )


def _verification_message(reason):
    return {
        "used": _("This request is already confirmed: its reference and secret were e-mailed."),
        "expired": _("This confirmation has expired. Send the form again."),
        "wrong": _("This code is not the one we e-mailed. Check it and try again."),
    }.get(reason, _("This code does not confirm a request."))


@require_http_methods(["GET", "POST"])
def verify_link(request, organisation, token):
    """The link from the e-mail. A GET only shows the button: mail scanners that open links
    must not confirm a request on the person's behalf."""
    organisation = _organisation(request, organisation)
    try:
        submission = intake.submission_for_token(organisation, token)
    except intake.VerificationError as error:
        return _page(
            request,
            organisation,
            "requests/public/verify.html",
            {"problem": _verification_message(str(error))},
            status=404 if str(error) == "unknown" else 410,
        )
    if request.method == "POST":
        try:
            request_obj, secret = intake.verify(submission)
        except intake.VerificationError as error:
            return _page(
                request,
                organisation,
                "requests/public/verify.html",
                {"problem": _verification_message(str(error))},
                status=410,
            )
        request.session.pop(SESSION_SUBMISSION, None)
        return HttpResponseRedirect(_status_path(request_obj, secret))
    return _page(
        request,
        organisation,
        "requests/public/verify.html",
        {"kind_label": RequestKind(submission.kind).label},
    )


# --- The status page --------------------------------------------------------------------------


def _status_path(request_obj, secret):
    return reverse(
        "privacy:status",
        kwargs={
            "organisation": request_obj.organisation.slug,
            "reference": request_obj.reference,
            "secret": secret,
        },
    )


@require_http_methods(["GET", "POST"])
def status_lookup(request, organisation):
    organisation = _organisation(request, organisation)
    form = StatusLookupForm(request.POST or None)
    if request.method == "POST":
        if _ip_over_limit(request, "lookup-ip"):
            return _too_many(request, organisation)
        if form.is_valid() and not form.is_robot:
            request_obj = intake.request_for_status(
                organisation, form.cleaned_data["reference"], form.cleaned_data["secret"]
            )
            if request_obj is not None:
                return HttpResponseRedirect(
                    _status_path(request_obj, form.cleaned_data["secret"].strip())
                )
        if form.is_valid():
            form.add_error(None, _("No request matches this reference and secret."))
    return _page(request, organisation, "requests/public/status_lookup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def status(request, organisation, reference, secret):
    organisation = _organisation(request, organisation)
    if _ip_over_limit(request, "status-ip", factor=10):
        return _too_many(request, organisation)
    request_obj = intake.request_for_status(organisation, reference, secret)
    if request_obj is None:
        raise Http404
    can_reply = request_obj.status not in CLOSED_STATUSES and not request_obj.requester_scrubbed
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and can_reply and form.is_valid():
        try:
            conversation.receive_from_person(
                request_obj,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["files"],
                via=RequestChannel.WEB,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            language, _switched = _language(request, organisation)
            with translation.override(language):
                messages.success(request, _("Your message was sent."))
            return HttpResponseRedirect(request.path)
    answers = [
        letter
        for letter in request_obj.letters.filter(kind=LetterKind.ANSWER).order_by("created_at")
        if letter.is_sent or letter.channel
    ]
    return _page(
        request,
        organisation,
        "requests/public/status.html",
        {
            "request_obj": request_obj,
            "conversation": conversation.messages_of(request_obj),
            "answers": answers,
            "links": downloads.links_for_person(request_obj),
            "form": form,
            "can_reply": can_reply,
            "now": timezone.now(),
        },
    )


# --- The package by link ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def download(request, organisation, token):
    """The landing page shows the button (a GET takes nothing: link previews and mail scanners
    would spend the downloads); the POST streams the package and counts the download."""
    organisation = _organisation(request, organisation)
    link = downloads.link_for_token(organisation, token)
    if link is None:
        raise Http404
    if request.method == "POST":
        try:
            handle = downloads.take(link)
        except downloads.Expired:
            pass
        else:
            return FileResponse(
                handle,
                as_attachment=True,
                filename=downloads.filename(link),
                content_type="application/zip",
            )
    link.refresh_from_db()
    usable = link.usable()
    return _page(
        request,
        organisation,
        "requests/public/download.html",
        {"link": link, "usable": usable},
        status=200 if usable else 410,
    )
