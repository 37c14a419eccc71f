"""The request admin: intake, the triage queue, and the request page with its deadline, identity,
matching, assignment and letters.

The fulfilment of a request (tasks from the record inventory, access packages) lives in
requests/fulfilment.py, which may plug into the request page through two optional functions:
``admin_urls(model_admin)`` (extra URL patterns) and ``change_context(request, obj)`` (a dict
merged into the page's context; its "fulfilment_template" is included on the page).
"""

import importlib
import importlib.util

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dpo_portal.deletion import NeverDeletedAdmin, NeverDeletedInline
from dpo_portal.register.erasure import warn_if_naming_a_person
from dpo_portal.register.models import DataSubject, Membership
from dpo_portal.register.scoping import OrganisationScopedAdmin, OrganisationScopedForm
from dpo_portal.reports import may_view_report

from . import attachment_admin, deadlines, letter_admin, reports, services
from .models import (
    CLOSED_STATUSES,
    IdentityMethod,
    RequestReport,
    RequestStatus,
    RequestTask,
    SubjectRequest,
    Urgency,
)

URGENCY_CLASS = {
    Urgency.OVERDUE: "flag-bad",
    Urgency.DUE_SOON: "flag-warn",
    Urgency.ON_TRACK: "flag-ok",
    Urgency.PAUSED: "",
    Urgency.CLOSED: "",
}


def _fulfilment():
    """requests/fulfilment.py when it exists (built by the fulfilment work, separately)."""
    if importlib.util.find_spec("requests.fulfilment") is None:
        return None
    return importlib.import_module("requests.fulfilment")


# --- List filters -----------------------------------------------------------------------------


class UrgencyFilter(admin.SimpleListFilter):
    title = _("urgency")
    parameter_name = "urgency"

    def lookups(self, request, model_admin):
        return [(u.value, u.label) for u in Urgency]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(urgency=self.value())
        return queryset


class OpenFilter(admin.SimpleListFilter):
    """Open requests by default: the queue is what still needs an answer."""

    title = _("open or closed")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("all", _("All")), ("closed", _("Closed"))]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Open"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        if self.value() == "closed":
            return queryset.filter(status__in=CLOSED_STATUSES)
        return queryset.exclude(status__in=CLOSED_STATUSES)


class AssigneeFilter(admin.SimpleListFilter):
    """ "Assigned to me" first: each DPO's own queue is one click away."""

    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        people = (
            get_user_model()
            .objects.filter(
                assigned_subject_requests__in=model_admin.get_queryset(request).filter(
                    assignee__isnull=False
                )
            )
            .distinct()
            .order_by("username")
        )
        return [
            ("me", _("Assigned to me")),
            ("none", _("Unassigned")),
            *[(str(u.pk), u.get_full_name() or u.username) for u in people],
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assignee=request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value and value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset


# --- Forms ------------------------------------------------------------------------------------


class SubjectRequestForm(OrganisationScopedForm):
    class Meta:
        model = SubjectRequest
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation") or getattr(self.instance, "organisation", None)
        kind = cleaned.get("kind")
        if organisation and kind:
            from .models import KIND_LEGAL_REFERENCE

            if kind not in KIND_LEGAL_REFERENCE.get(organisation.regime, {}):
                self.add_error(
                    "kind", _("This right does not exist under the organisation's regime.")
                )
        assignee = cleaned.get("assignee")
        if (
            organisation
            and assignee
            and not assignee.is_superuser
            and not Membership.objects.filter(user=assignee, organisation=organisation).exists()
        ):
            self.add_error("assignee", _("The assignee is not a member of this organisation."))
        return cleaned


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=get_user_model().objects.none(), required=True
    )

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees


# --- Inlines ----------------------------------------------------------------------------------


class RequestTaskInline(NeverDeletedInline, admin.TabularInline):
    model = RequestTask
    extra = 0
    fields = ["system", "action", "status", "kept_reason", "note", "resolved_by", "resolved_at"]
    readonly_fields = fields
    verbose_name_plural = _("Tasks per system")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("system", "resolved_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- The request admin ------------------------------------------------------------------------


@admin.register(SubjectRequest)
class SubjectRequestAdmin(NeverDeletedAdmin, OrganisationScopedAdmin):
    form = SubjectRequestForm
    change_form_template = "requests/admin/change_form.html"
    change_list_template = "requests/admin/change_list.html"
    list_display = [
        "urgency_mark",
        "reference",
        "kind",
        "status",
        "identity_status",
        "due_on",
        "assignee",
        "organisation",
        "received_at",
    ]
    list_display_links = ["reference"]
    list_filter = [OpenFilter, UrgencyFilter, "kind", "status", AssigneeFilter, "organisation"]
    list_select_related = ("organisation", "assignee")
    search_fields = ["=reference"]
    date_hierarchy = None
    autocomplete_fields = ["organisation", "subject"]
    actions = ["assign_to_me", "assign_selected"]
    # Pauses and extensions are shown in the deadline panel above the form.
    inlines = [RequestTaskInline]
    history_list_display = ["status", "identity_status", "due_on", "assignee"]
    fieldsets = [
        (None, {"fields": ["organisation", "reference", "kind", "channel", "received_at"]}),
        (
            _("Requester"),
            {
                "fields": [
                    "requester_name",
                    "requester_email",
                    "requester_phone",
                    "requester_fin",
                    "requester_id_document",
                    "requester_address",
                    "details",
                ]
            },
        ),
        (_("Data subject"), {"fields": ["subject"]}),
        (
            _("Identity"),
            {
                "fields": [
                    "identity_status",
                    "identity_method",
                    "identity_verified_by",
                    "identity_verified_at",
                ]
            },
        ),
        (
            _("Handling"),
            {
                "fields": [
                    "assignee",
                    "status",
                    "due_on",
                    "extended",
                    "extension_reason",
                    "outcome_reason",
                    "closed_at",
                ]
            },
        ),
    ]
    # Changed only through the request page's buttons (services), which keep the deadline log.
    service_fields = [
        "reference",
        "identity_status",
        "identity_method",
        "identity_verified_by",
        "identity_verified_at",
        "status",
        "due_on",
        "extended",
        "extension_reason",
        "outcome_reason",
        "closed_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.service_fields
        return [*self.service_fields, "organisation", "received_at", "subject"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            # Intake: what arrived, from whom; everything else follows from the services.
            return [fs for fs in self.fieldsets if fs[0] in (None, _("Requester"))] + [
                (_("Handling"), {"fields": ["assignee"]})
            ]
        return self.fieldsets

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_queryset(self, request):
        return super().get_queryset(request).with_urgency()

    def get_ordering(self, request):
        # The rank as an expression, not the annotation's name: ModelAdmin orders the queryset
        # before get_queryset() has annotated it.
        rank = deadlines.urgency_expression()["urgency_rank"]
        return [rank.asc(), "due_on", "received_at"]

    @admin.display(description=_("urgency"), ordering="urgency_rank")
    def urgency_mark(self, obj):
        urgency = Urgency(obj.urgency)
        return format_html(
            '<span class="urgency urgency-{} {}">{}</span>',
            urgency.value,
            URGENCY_CLASS[urgency],
            urgency.label,
        )

    def save_model(self, request, obj, form, change):
        if not change:
            services.register_request(obj, actor=request.user)
        else:
            super().save_model(request, obj, form, change)
        warn_if_naming_a_person(request, obj)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "my_queue_url": reverse("admin:requests_subjectrequest_changelist") + "?assignee=me",
            "overdue_url": reverse("admin:requests_subjectrequest_changelist") + "?urgency=overdue",
            "report_url": reverse("admin:requests_report")
            if may_view_report(request.user, reports.PERM)
            else None,
        }
        return super().changelist_view(request, extra_context)

    # --- Assignment actions ------------------------------------------------------------------

    def _changeable(self, request, queryset):
        if request.user.is_superuser:
            return queryset
        return queryset.filter(organisation_id__in=self.organisation_ids(request, "change"))

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        return self._assign_confirmation(request, queryset, "assign_to_me", me=True)

    @admin.action(description=_("Assign selected requests to…"), permissions=["change"])
    def assign_selected(self, request, queryset):
        return self._assign_confirmation(request, queryset, "assign_selected", me=False)

    def _assignees(self, request, requests):
        organisation_ids = {r.organisation_id for r in requests}
        # Someone who can handle every selected request: a member with the change right in
        # each of their organisations (DPOs, by the roles).
        from dpo_portal.register.roles import roles_granting

        roles = roles_granting("requests.change_subjectrequest")
        users = get_user_model().objects.filter(is_active=True)
        for organisation_id in organisation_ids:
            users = users.filter(
                pk__in=Membership.objects.filter(
                    organisation_id=organisation_id, role__in=roles
                ).values("user_id")
            )
        return users.order_by("username")

    def _assign_confirmation(self, request, queryset, action, *, me):
        requests = list(self._changeable(request, queryset).select_related("assignee"))
        assignees = self._assignees(request, requests)
        confirmed = request.POST.get("post") == "yes"
        data = request.POST if confirmed else None
        if me:
            data = {"assignee": request.user.pk} if confirmed else None
        form = AssignForm(data, assignees=assignees, initial={"assignee": request.user.pk})
        if confirmed and form.is_valid():
            try:
                count = services.assign(
                    self._changeable(request, queryset),
                    assignee=form.cleaned_data["assignee"],
                    actor=request.user,
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return None
            self.message_user(
                request,
                ngettext(
                    "%(count)d request assigned to %(user)s.",
                    "%(count)d requests assigned to %(user)s.",
                    count,
                )
                % {"count": count, "user": form.cleaned_data["assignee"]},
                messages.SUCCESS,
            )
            return None
        if me and request.user not in assignees and not request.user.is_superuser:
            self.message_user(
                request,
                _("You cannot take every selected request: some belong to another organisation."),
                messages.ERROR,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Assign requests"),
            "opts": self.opts,
            "form": None if me else form,
            "me": me,
            "queryset": requests,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "requests/admin/assign_confirmation.html", context)

    # --- The request page ---------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if obj is not None:
            context.update(self.request_page_context(request, obj))
        return super().change_view(request, object_id, form_url, context)

    def request_page_context(self, request, obj):
        may_change = self.has_change_permission(request, obj)
        candidates = []
        if obj.subject_id is None and request.user.has_perm("register.view_datasubject"):
            candidates = [
                (subject, services.matched_on(obj, subject))
                for subject in services.match_candidates(obj)[:20]
            ]
        context = {
            "request_obj": obj,
            "may_change": may_change,
            "candidates": candidates,
            "urgency": obj.urgency_on(),
            "paused_since": obj.paused_since,
            "refusal_due_on": obj.refusal_due_on,
            "days_off": obj.calendar.days_off_between(
                deadlines.local_date(obj.received_at), obj.due_on
            )
            if obj.due_on
            else [],
            "estimated_days_off": obj.calendar.estimated_days_between(
                deadlines.local_date(obj.received_at), obj.due_on
            )
            if obj.due_on
            else [],
            "regime_version": obj.regime_version,
            "legal_reference": obj.legal_reference,
            "regime": obj.organisation.regime,
            "deadline_events": obj.deadline_events.select_related("by"),
            **letter_admin.page_context(request, obj),
            **attachment_admin.page_context(request, obj),
            "identity_methods": IdentityMethod.choices,
            "closing_statuses": [
                (s.value, s.label) for s in RequestStatus if s.value in CLOSED_STATUSES
            ],
        }
        fulfilment = _fulfilment()
        if fulfilment is not None and hasattr(fulfilment, "change_context"):
            context.update(fulfilment.change_context(request, obj) or {})
        return context

    def get_urls(self):
        def view(func):
            return self.admin_site.admin_view(func)

        urls = [
            path("<path:object_id>/match/", view(self.match_view), name="requests_match"),
            path(
                "<path:object_id>/identity/<str:step>/",
                view(self.identity_view),
                name="requests_identity",
            ),
            path("<path:object_id>/extend/", view(self.extend_view), name="requests_extend"),
            path(
                "<path:object_id>/assign-to-me/",
                view(self.assign_to_me_view),
                name="requests_assign_to_me",
            ),
            path("<path:object_id>/close/", view(self.close_view), name="requests_close"),
        ]
        urls += letter_admin.admin_urls(self) + attachment_admin.admin_urls(self)
        fulfilment = _fulfilment()
        if fulfilment is not None and hasattr(fulfilment, "admin_urls"):
            urls += fulfilment.admin_urls(self)
        return urls + super().get_urls()

    def _object_for_change(self, request, object_id):
        if request.method != "POST":
            raise Http404
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def _back(self, obj):
        return redirect("admin:requests_subjectrequest_change", obj.pk)

    def _run(self, request, obj, func, success):
        try:
            func()
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, success, messages.SUCCESS)
        return self._back(obj)

    def match_view(self, request, object_id):
        obj = self._object_for_change(request, object_id)
        subject = get_object_or_404(
            DataSubject.objects.active(),
            pk=request.POST.get("subject"),
            organisation_id=obj.organisation_id,
        )
        return self._run(
            request,
            obj,
            lambda: services.match_subject(obj, subject, actor=request.user),
            _("The request is matched to the data subject."),
        )

    def identity_view(self, request, object_id, step):
        obj = self._object_for_change(request, object_id)
        user = request.user
        if step == "verify":
            method = request.POST.get("method", "")
            return self._run(
                request,
                obj,
                lambda: services.verify_identity(obj, method=method, actor=user),
                _("Identity verified."),
            )
        if step == "request-info":
            reason = request.POST.get("reason", "").strip()
            return self._run(
                request,
                obj,
                lambda: services.request_identity_information(obj, reason=reason, actor=user),
                _("More information requested: the deadline is paused until it arrives."),
            )
        if step == "received":
            return self._run(
                request,
                obj,
                lambda: services.identity_information_received(obj, actor=user),
                _("Information received: the deadline runs again."),
            )
        if step == "failed":
            return self._run(
                request,
                obj,
                lambda: services.identity_failed(obj, actor=user),
                _("Identity marked as not verified."),
            )
        raise Http404

    def extend_view(self, request, object_id):
        obj = self._object_for_change(request, object_id)
        months = request.POST.get("months")
        months = int(months) if months and months.isdigit() else None
        return self._run(
            request,
            obj,
            lambda: services.extend_deadline(
                obj,
                reason=request.POST.get("reason", "").strip(),
                months=months,
                actor=request.user,
            ),
            _("The deadline is extended."),
        )

    def assign_to_me_view(self, request, object_id):
        obj = self._object_for_change(request, object_id)
        return self._run(
            request,
            obj,
            lambda: services.assign(
                SubjectRequest.objects.filter(pk=obj.pk), assignee=request.user, actor=request.user
            ),
            _("The request is assigned to you."),
        )

    def close_view(self, request, object_id):
        obj = self._object_for_change(request, object_id)
        return self._run(
            request,
            obj,
            lambda: services.close_request(
                obj,
                status=request.POST.get("status", ""),
                reason=request.POST.get("reason", "").strip(),
                actor=request.user,
            ),
            _("The request is closed."),
        )


# --- The report, in the admin index for every role that may read it --------------------------


admin.site.register(RequestReport, reports.RequestReportAdmin)
