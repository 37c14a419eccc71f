"""The mailbox setting and the incoming-mail view of the triage queue.

The incoming-mail list shows the drafts waiting for the DPO (other statuses by the filter); a
draft's page shows the message and its files, and offers the two decisions: a request of a
chosen kind, or "not a request" (after a confirmation page, also as a list action).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from dpo_portal.deletion import NeverDeletedAdmin
from dpo_portal.register.scoping import OrganisationScopedAdmin

from .. import attachments
from ..models import RequestKind, kinds_for_regime
from . import services
from .models import IncomingMail, IncomingMailStatus, Mailbox


@admin.register(Mailbox)
class MailboxAdmin(NeverDeletedAdmin, OrganisationScopedAdmin):
    list_display = ["organisation", "username", "host", "security", "enabled", "password_state"]
    list_filter = ["organisation", "enabled"]
    readonly_fields = ["password_state", "last_checked_at", "problem", "problem_since"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "organisation",
                    "host",
                    "port",
                    "security",
                    "username",
                    "password_env",
                    "password_state",
                    "folder",
                    "processed_folder",
                    "enabled",
                ]
            },
        ),
        (_("Last reading"), {"fields": ["last_checked_at", "problem", "problem_since"]}),
    ]

    @admin.display(description=_("password"))
    def password_state(self, obj):
        if obj is None or not obj.password_env:
            return "—"
        if obj.password_is_set:
            return _("set in the environment")
        return _("not set: the variable %(name)s is missing from the environment") % {
            "name": obj.password_env
        }


class StatusFilter(admin.SimpleListFilter):
    """Drafts waiting for the DPO unless another status (or all) is chosen."""

    title = _("status")
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        return IncomingMailStatus.choices

    def choices(self, changelist):
        current = self.value() or IncomingMailStatus.DRAFT
        for value, label in [*self.lookup_choices, (self.ALL, _("All"))]:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or IncomingMailStatus.DRAFT
        if value == self.ALL:
            return queryset
        return queryset.filter(status=value)


class RequestFromMailForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind of request"))
    registered_late_reason = forms.CharField(
        label=_("registered late because"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the message was sent more than 30 days ago."),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (kind.value, kind.label) for kind in kinds_for_regime(organisation.regime)
        ]
        self.fields["kind"].initial = RequestKind.DELETION


@admin.register(IncomingMail)
class IncomingMailAdmin(NeverDeletedAdmin, OrganisationScopedAdmin):
    # The table needs the page's width at 1366 px: no app menu beside it, as in the triage queue.
    change_list_template = "requests/mailbox/change_list.html"
    list_display = ["reference", "sender", "subject_line", "sent_at", "files", "status"]
    list_display_links = ["reference"]
    list_filter = [StatusFilter, "organisation"]
    list_select_related = ("organisation",)
    actions = ["discard_selected"]
    ordering = ["sent_at", "pk"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(file_count=Count("files"))

    @admin.display(description=_("reference"), ordering="pk")
    def reference(self, obj):
        return obj.reference

    @admin.display(description=_("from"))
    def sender(self, obj):
        if obj.content_removed_at:
            return "—"
        return f"{obj.sender_name} <{obj.sender_email}>" if obj.sender_name else obj.sender_email

    @admin.display(description=pgettext_lazy("e-mail", "subject"))
    def subject_line(self, obj):
        return obj.subject[:80] or "—"

    @admin.display(description=_("files"), ordering="file_count")
    def files(self, obj):
        return obj.file_count

    # --- the draft's page ----------------------------------------------------------------------

    def get_urls(self):
        def view(func):
            return self.admin_site.admin_view(func)

        return [
            path(
                "<path:object_id>/request/",
                view(self.request_view),
                name="requests_incomingmail_request",
            ),
            path(
                "<path:object_id>/discard/",
                view(self.discard_view),
                name="requests_incomingmail_discard",
            ),
            path(
                "<path:object_id>/files/<int:file_id>/",
                view(self.file_view),
                name="requests_incomingmail_file",
            ),
            *super().get_urls(),
        ]

    def _visible(self, request, object_id):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        return obj

    def _changeable(self, request, object_id):
        obj = self._visible(request, object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self._visible(request, object_id)
        return self._page(request, obj, RequestFromMailForm(organisation=obj.organisation))

    def _page(self, request, obj, form):
        context = {
            **self.admin_site.each_context(request),
            "title": obj.reference,
            "opts": self.opts,
            "mail": obj,
            "files": obj.files.all(),
            "max_bytes": attachments.max_bytes(),
            "form": form,
            "may_decide": obj.status == IncomingMailStatus.DRAFT
            and self.has_change_permission(request, obj),
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "requests/mailbox/mail_page.html", context)

    def request_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._changeable(request, object_id)
        if obj.status != IncomingMailStatus.DRAFT:
            self.message_user(
                request, _("This message has already been dealt with."), messages.ERROR
            )
            return redirect("admin:requests_incomingmail_change", obj.pk)
        form = RequestFromMailForm(request.POST, organisation=obj.organisation)
        if form.is_valid():
            try:
                subject_request = services.turn_into_request(
                    obj,
                    kind=form.cleaned_data["kind"],
                    registered_late_reason=form.cleaned_data["registered_late_reason"],
                    actor=request.user,
                )
            except ValidationError as error:
                # What the DPO chose stays on the form, with the reason next to it.
                if hasattr(error, "error_dict"):
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error.messages)
            else:
                self.message_user(
                    request,
                    _("%(reference)s is now request %(request)s.")
                    % {"reference": obj.reference, "request": subject_request.reference},
                    messages.SUCCESS,
                )
                return redirect("admin:requests_subjectrequest_change", subject_request.pk)
        return self._page(request, obj, form)

    def discard_view(self, request, object_id):
        obj = self._changeable(request, object_id)
        if request.method == "POST":
            services.discard(IncomingMail.objects.filter(pk=obj.pk), actor=request.user)
            self.message_user(
                request,
                _("%(reference)s is discarded as not a request; its content is removed.")
                % {"reference": obj.reference},
                messages.SUCCESS,
            )
            return redirect("admin:requests_incomingmail_changelist")
        return self._confirm_discard(request, [obj], action=None)

    def file_view(self, request, object_id, file_id):
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        obj = self._visible(request, object_id)
        item = get_object_or_404(obj.files, pk=file_id, kept=True)
        if not item.stored_name:
            raise Http404
        try:
            handle = attachments.storage().open(item.stored_name, "rb")
        except FileNotFoundError as error:
            raise Http404 from error
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"{obj.reference}-{item.pk}.{attachments.EXTENSIONS[item.file_type]}",
            content_type=attachments.CONTENT_TYPES[item.file_type],
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    # --- the list action -----------------------------------------------------------------------

    @admin.action(description=_("Discard as not a request"), permissions=["change"])
    def discard_selected(self, request, queryset):
        drafts = queryset.filter(status=IncomingMailStatus.DRAFT)
        if not request.user.is_superuser:
            drafts = drafts.filter(organisation_id__in=self.organisation_ids(request, "change"))
        if request.POST.get("post") == "yes":
            count = services.discard(drafts, actor=request.user)
            self.message_user(
                request,
                ngettext(
                    "%(count)d message discarded as not a request.",
                    "%(count)d messages discarded as not requests.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        return self._confirm_discard(request, list(drafts), action="discard_selected")

    def _confirm_discard(self, request, mails, *, action):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Discard as not a request"),
            "opts": self.opts,
            "mails": mails,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "back_url": reverse("admin:requests_incomingmail_changelist"),
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "requests/mailbox/discard_confirmation.html", context)
