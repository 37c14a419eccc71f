"""The letters part of the request page (prepare, print, PDF, e-mail, mark posted) and the
organisation's own letter templates with a preview on a real request.

The request page's views reuse the request admin's checks: another organisation's request or
letter answers 404, changing needs the change right on the request's organisation.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template import TemplateSyntaxError
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _

from dpo_portal.register.scoping import OrganisationScopedAdmin, OrganisationScopedForm

from . import letters
from .models import LetterKind, LetterTemplate, ResponseLetter, SubjectRequest


def admin_urls(model_admin):
    def view(func):
        return model_admin.admin_site.admin_view(
            lambda request, object_id, **kwargs: func(model_admin, request, object_id, **kwargs)
        )

    return [
        path("<path:object_id>/letters/new/", view(new_letter_view), name="requests_new_letter"),
        path(
            "<path:object_id>/letters/<int:letter_id>/",
            view(letter_view),
            name="requests_letter",
        ),
        path(
            "<path:object_id>/letters/<int:letter_id>/pdf/",
            view(letter_pdf_view),
            name="requests_letter_pdf",
        ),
        path(
            "<path:object_id>/letters/<int:letter_id>/send/",
            view(send_letter_view),
            name="requests_letter_send",
        ),
        path(
            "<path:object_id>/letters/<int:letter_id>/posted/",
            view(posted_view),
            name="requests_letter_posted",
        ),
    ]


def page_context(request, obj):
    """What the request page's letters panel needs."""
    return {
        # The page lists the letters; each one's PDF is read when it is downloaded.
        "letters": obj.letters.select_related("created_by", "sent_by").defer("pdf"),
        "letter_kinds": LetterKind.choices,
        "languages": letters.letter_languages(obj),
    }


def _letter_for_change(model_admin, request, object_id, letter_id):
    obj = model_admin._object_for_change(request, object_id)
    if not request.user.has_perm("requests.add_responseletter"):
        raise PermissionDenied
    return obj, get_object_or_404(ResponseLetter, pk=letter_id, request=obj)


def _letter_for_view(model_admin, request, object_id, letter_id):
    if request.method != "GET":
        raise Http404
    obj = model_admin.get_object(request, object_id)
    if obj is None or not model_admin.has_view_permission(request, obj):
        raise Http404
    return obj, get_object_or_404(ResponseLetter, pk=letter_id, request=obj)


def _to_letter(obj, letter):
    return redirect("admin:requests_letter", obj.pk, letter.pk)


def new_letter_view(model_admin, request, object_id):
    obj = model_admin._object_for_change(request, object_id)
    if not request.user.has_perm("requests.add_responseletter"):
        raise PermissionDenied
    try:
        letter = letters.create_letter(
            obj,
            language=request.POST.get("language", ""),
            kind=request.POST.get("kind") or LetterKind.ANSWER,
            actor=request.user,
        )
    except ValidationError as error:
        model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
        return model_admin._back(obj)
    return _to_letter(obj, letter)


def letter_view(model_admin, request, object_id, letter_id):
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    obj, letter = _letter_for_view(model_admin, request, object_id, letter_id)
    return TemplateResponse(
        request,
        "requests/letter_print.html",
        {
            **letters.sheet_context(letter, obj),
            "may_send": model_admin.has_change_permission(request, obj)
            and request.user.has_perm("requests.add_responseletter"),
        },
    )


def letter_pdf_view(model_admin, request, object_id, letter_id):
    obj, letter = _letter_for_view(model_admin, request, object_id, letter_id)
    if not letter.pdf:
        raise Http404
    response = HttpResponse(bytes(letter.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{obj.reference}-{letter.pk}.pdf"'
    return response


def send_letter_view(model_admin, request, object_id, letter_id):
    obj, letter = _letter_for_change(model_admin, request, object_id, letter_id)
    try:
        letter = letters.send_by_email(letter, actor=request.user)
    except ValidationError as error:
        model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
        return _to_letter(obj, letter)
    if getattr(letter, "delivery_error", None):
        model_admin.message_user(request, " ".join(letter.delivery_error.messages), messages.ERROR)
    else:
        model_admin.message_user(
            request, _("The letter was e-mailed with its PDF attached."), messages.SUCCESS
        )
    return _to_letter(obj, letter)


def posted_view(model_admin, request, object_id, letter_id):
    obj, letter = _letter_for_change(model_admin, request, object_id, letter_id)
    try:
        on = datetime.date.fromisoformat(request.POST.get("posted_on", ""))
    except ValueError:
        on = None
    try:
        letters.mark_posted(letter, actor=request.user, on=on)
    except ValidationError as error:
        model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
    else:
        model_admin.message_user(request, _("The letter is marked as posted."), messages.SUCCESS)
    return _to_letter(obj, letter)


# --- The organisation's own templates ---------------------------------------------------------


class LetterTemplateForm(OrganisationScopedForm):
    class Meta:
        model = LetterTemplate
        fields = ["organisation", "key", "language", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 24, "cols": 100, "spellcheck": "true"})}

    def clean_text(self):
        text = self.cleaned_data["text"]
        try:
            letters.compile_template_text(text)
        except TemplateSyntaxError as error:
            raise ValidationError(
                _("The template cannot be read: %(error)s") % {"error": error}
            ) from error
        return text


@admin.register(LetterTemplate)
class LetterTemplateAdmin(OrganisationScopedAdmin):
    form = LetterTemplateForm
    change_form_template = "requests/admin/letter_template_form.html"
    list_display = ["key", "language", "organisation"]
    list_filter = ["organisation", "key", "language"]
    list_select_related = ["organisation"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        key, language = initial.get("key"), initial.get("language")
        if key and language:
            initial["text"] = letters.shipped_template_source(key, language)
        return initial

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if obj is not None:
            context.update(self.preview_context(request, obj))
        return super().change_view(request, object_id, form_url, context)

    def preview_context(self, request, template):
        """A preview of the saved template on one of the organisation's own requests."""
        requests = (
            SubjectRequest.objects.filter(
                organisation_id=template.organisation_id, requester_scrubbed_at__isnull=True
            )
            .for_user(request.user, "view")
            .order_by("-received_at")
        )
        if template.key != LetterKind.ACKNOWLEDGEMENT:
            requests = requests.filter(kind=template.key)
        choices = list(requests.only("pk", "reference")[:50])
        chosen = request.GET.get("preview")
        context = {"preview_requests": choices, "preview_chosen": None, "preview_sheet": None}
        if chosen and chosen.isdigit():
            preview_request = get_object_or_404(requests, pk=int(chosen))
            kind = (
                LetterKind.ACKNOWLEDGEMENT
                if template.key == LetterKind.ACKNOWLEDGEMENT
                else LetterKind.ANSWER
            )
            addressee, salutation, body, _name = letters.render_letter(
                preview_request,
                kind=kind,
                language=template.language,
                template=letters.compile_template_text(template.text),
            )
            letter = ResponseLetter(
                request=preview_request,
                kind=kind,
                language=template.language,
                addressee=addressee,
                salutation=salutation,
                body=body,
            )
            context.update(
                preview_chosen=preview_request,
                preview_sheet=letters.sheet_context(letter, preview_request),
            )
        return context
