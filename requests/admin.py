"""The request admin: intake, the triage queue, and the request page with its deadline, identity,
matching, assignment, the lifecycle's transitions and letters.

The request page's fulfilment panel (tasks from the record inventory, access packages) has its
views in requests/fulfilment_admin.py; "my tasks" is the RequestTask admin below.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dpo_portal.deletion import NeverDeletedAdmin, NeverDeletedInline
from dpo_portal.legal.models import RequestKindOffer
from dpo_portal.read_together import read_together
from dpo_portal.register.erasure import warn_if_naming_a_person
from dpo_portal.register.models import (
    DataSubject,
    fold_for_search,
    normalise_fin,
    normalise_id_document,
    normalise_phone,
)
from dpo_portal.register.roles import organisation_ids_for
from dpo_portal.register.scoping import OrganisationScopedAdmin, OrganisationScopedForm
from dpo_portal.reports import may_view_report

from . import (
    attachment_admin,
    connector_admin,
    conversation_admin,
    deadlines,
    fulfilment,
    fulfilment_admin,
    letter_admin,
    lifecycle,
    reports,
    services,
    signature_admin,
)
from .models import (
    CLOSED_STATUSES,
    KIND_LEGAL_REFERENCE,
    DeadlineEvent,
    IdentityMethod,
    RequestKind,
    RequestReport,
    RequestStatus,
    RequestTask,
    SubjectRequest,
    TaskReceipt,
    TaskStatus,
    Urgency,
    queue_group,
)


def overdue_days(due_on, running, on=None):
    """Calendar days past ``due_on`` of work whose clock runs; 0 when not overdue."""
    if not running or due_on is None:
        return 0
    return max(((on or timezone.localdate()) - due_on).days, 0)


URGENCY_CLASS = {
    Urgency.OVERDUE: "flag-bad",
    Urgency.DUE_SOON: "flag-warn",
    Urgency.ON_TRACK: "flag-ok",
    Urgency.PAUSED: "",
    Urgency.CLOSED: "",
}


def search_condition(query, organisation_ids=None):
    """The triage search: every word of ``query`` must occur in the request's search text (the
    reference, the requester's name and identifiers, folded as search_text_for() folds them),
    or the query is an identifier of the matched data subject. A phone typed any way is
    compared as digits; a FIN or document number however spaced or cased.

    On PostgreSQL the search text has a trigram index (migration 0004), so the containment
    test is an index scan; the subject's identifiers are compared exactly, on their indexes.
    """
    query = (query or "").strip()
    if not query:
        return None
    phone_digits = normalise_phone(query).lstrip("+")
    if re.fullmatch(r"[\d\s()+.\-]+", query) and len(re.sub(r"\D", "", query)) >= 7:
        words = [phone_digits]
    else:
        words = fold_for_search(query).split()
    text = Q()
    for word in words:
        text &= Q(search_text__contains=word)
    compact = re.sub(r"[\s\-]", "", query)
    subject = Q(email=query.lower())
    if len(compact) == 7:
        subject |= Q(fin=normalise_fin(compact))
    if len(compact) >= 9:
        subject |= Q(id_document_number=normalise_id_document(compact))
    if len(phone_digits) >= 9:
        subject |= Q(phone="+" + phone_digits)
    # The matched subjects' ids first (each identifier on its own index), so that the request
    # side is an OR of two index scans rather than a join the trigram index cannot serve.
    subjects = DataSubject.objects.filter(subject)
    if organisation_ids is not None:
        subjects = subjects.filter(organisation_id__in=organisation_ids)
    subject_ids = list(subjects.values_list("pk", flat=True)[:100])
    return text | Q(subject_id__in=subject_ids) if subject_ids else text


def urgency_whens(request):
    # Worked out once per page view: the list's column, its filter and the counts all need the
    # due-soon limits, and each working them out reads every organisation's calendar.
    if not hasattr(request, "_urgency_whens"):
        request._urgency_whens = deadlines.urgency_whens()
    return request._urgency_whens


# --- List filters -----------------------------------------------------------------------------


class UrgencyFilter(admin.SimpleListFilter):
    title = _("urgency")
    parameter_name = "urgency"

    def lookups(self, request, model_admin):
        return [(u.value, u.label) for u in Urgency]

    def queryset(self, request, queryset):
        if self.value() in Urgency.values:
            return queryset.filter(
                deadlines.urgency_condition(self.value(), urgency_whens(request))
            )
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
        # Who may hold requests here (a members query), not a scan of every request's assignee.
        people = services.workers_in_any(
            None
            if request.user.is_superuser
            else organisation_ids_for(request.user, "requests.view_subjectrequest")
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
        if organisation and kind and kind not in KIND_LEGAL_REFERENCE.get(organisation.regime, {}):
            self.add_error("kind", _("This right does not exist under the organisation's regime."))
        assignee = cleaned.get("assignee")
        if organisation and assignee and not services.may_work_on(assignee, {organisation.pk}):
            self.add_error(
                "assignee", _("The assignee may not work on this organisation's requests.")
            )
        if self.instance.pk is None:
            # The same rules register_request() enforces, shown next to their fields.
            self.instance.received_at = cleaned.get("received_at") or self.instance.received_at
            for name, value in cleaned.items():
                if name in {f.name for f in SubjectRequest._meta.fields}:
                    setattr(self.instance, name, value)
            for field, messages_ in services.intake_errors(self.instance).items():
                for message in messages_:
                    self.add_error(field if field in self.fields else None, message)
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
    fields = [
        "system",
        "action",
        "status",
        "kept_reason",
        "note",
        "resolved_by",
        "resolved_at",
        "receipt",
    ]
    readonly_fields = fields
    verbose_name_plural = _("Tasks per system")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("system", "resolved_by")
            .prefetch_related("receipts")
        )

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is None or request.method != "GET":
            return formset
        # The fulfilment panel shows the same rows (same order, receipts included): the
        # read-only inline takes them from it, without a second query.
        tasks = fulfilment_admin.request_tasks(request, obj)
        return type(formset.__name__, (formset,), {"get_queryset": lambda self: tasks})

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("receipt"))
    def receipt(self, obj):
        """The system's own receipt, when it answered (the evidence is on the task's page)."""
        receipts = list(obj.receipts.all())
        if not receipts:
            return ""
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:requests_requesttask_change", args=[obj.pk]),
            receipt_summary(receipts[-1]),
        )


def receipt_summary(receipt):
    changed = sum(entry.get("changed", 0) for entry in receipt.tables)
    return _("%(source)s, %(outcome)s at %(at)s: %(changed)s rows changed (SHA-256 %(hash)s…)") % {
        "source": receipt.get_source_display(),
        "outcome": receipt.get_outcome_display().lower(),
        "at": timezone.localtime(receipt.acted_at).strftime("%Y-%m-%d %H:%M"),
        "changed": changed,
        "hash": receipt.sha256[:12],
    }


class TaskReceiptInline(NeverDeletedInline, admin.StackedInline):
    """The receipts are evidence: read-only, never deleted."""

    model = TaskReceipt
    extra = 0
    fields = [
        "source",
        "outcome",
        "kept_reason",
        "note",
        "acted_at",
        "received_at",
        "tables_list",
        "details",
        "has_export",
        "sha256",
    ]
    readonly_fields = fields
    verbose_name_plural = _("Receipts from the system")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("tables"))
    def tables_list(self, obj):
        return format_html_join(
            "",
            "<div><code>{}</code>: {} / {} <code>{}</code></div>",
            (
                (e.get("table"), e.get("matched"), e.get("changed"), e.get("statement", ""))
                for e in obj.tables
            ),
        )

    @admin.display(description=_("exported data"), boolean=True)
    def has_export(self, obj):
        return obj.export is not None


# --- The request admin ------------------------------------------------------------------------


@admin.register(SubjectRequest)
class SubjectRequestAdmin(NeverDeletedAdmin, OrganisationScopedAdmin):
    form = SubjectRequestForm
    change_form_template = "requests/admin/change_form.html"
    change_list_template = "requests/admin/change_list.html"
    # What triage needs at a glance, narrow enough for a 1366 px laptop (the status and the
    # identity are on the request page and in the filters).
    list_display = [
        "reference",
        "kind_short",
        "requester",
        "urgency_mark",
        "due_on",
        "days_overdue",
        "assignee",
    ]
    list_display_links = ["reference"]
    list_filter = [
        OpenFilter,
        UrgencyFilter,
        "kind",
        "status",
        "identity_status",
        AssigneeFilter,
        "organisation",
    ]
    list_select_related = ("organisation", "assignee", "subject")
    # The "(N total)" next to a search's count is a second count of the whole queue.
    show_full_result_count = False
    # The search is search_condition() (see get_search_results); this turns the box on.
    search_fields = ["reference"]
    search_help_text = _(
        "Reference (or part of it), requester's name, e-mail, phone, FIN or identity document, "
        "or an identifier of the matched data subject."
    )
    date_hierarchy = None
    autocomplete_fields = ["organisation", "subject"]
    actions = ["assign_to_me", "assign_selected"]
    # Pauses and extensions are shown in the deadline panel above the form.
    inlines = [RequestTaskInline]
    history_list_display = ["status", "identity_status", "due_on", "assignee"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "organisation",
                    "reference",
                    "kind",
                    "channel",
                    "received_at",
                    "registered_late_reason",
                ]
            },
        ),
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
                    "refusal_ground_display",
                    "lateness_note",
                    "no_data_held",
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
        "refusal_ground_display",
        "lateness_note",
        "no_data_held",
        "closed_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.service_fields
        return [
            *self.service_fields,
            "organisation",
            "received_at",
            "registered_late_reason",
            "subject",
        ]

    @admin.display(description=_("ground of the refusal"))
    def refusal_ground_display(self, obj):
        return obj.refusal_ground_display or "—"

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        writable = organisation_ids_for(request.user, "requests.add_subjectrequest")
        if len(writable) == 1 and "organisation" not in initial:
            initial["organisation"] = next(iter(writable))
        return initial

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            # The form checks the assignee against the request's own organisation.
            kwargs["queryset"] = services.workers_in_any(
                None
                if request.user.is_superuser
                else organisation_ids_for(request.user, services.WORK_PERM)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        condition = search_condition(
            search_term,
            None
            if request.user.is_superuser
            else organisation_ids_for(request.user, "requests.view_subjectrequest"),
        )
        if condition is None:
            return queryset, False
        return queryset.filter(condition), False

    @admin.display(description=_("kind"), ordering="kind")
    def kind_short(self, obj):
        # The enum's label, not get_kind_display(), which rebuilds a dict of every choice per row.
        return RequestKind(obj.kind).label

    @admin.display(description=_("requester"))
    def requester(self, obj):
        if obj.requester_name:
            return obj.requester_name
        if obj.subject_id and not obj.subject.is_erased:
            return str(obj.subject)
        return "—"

    @admin.display(description=_("days overdue"), ordering="due_on", empty_value="")
    def days_overdue(self, obj):
        return overdue_days(obj.due_on, obj.is_open and not obj.is_paused) or None

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            # Intake: what arrived, from whom; everything else follows from the services.
            return [fs for fs in self.fieldsets if fs[0] in (None, _("Requester"))] + [
                (_("Handling"), {"fields": ["assignee"]})
            ]
        return self.fieldsets

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def _urgency(self, request):
        if not hasattr(request, "_urgency_expression"):
            request._urgency_expression = deadlines.urgency_expression(whens=urgency_whens(request))
        return request._urgency_expression

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(**self._urgency(request), source_failed=connector_admin.failed_run_exists())
        )

    def get_ordering(self, request):
        # Running, paused, closed, each by due date: the urgency order on an index
        # (request_queue_order). Two organisations' requests due the same day are equally
        # urgent here, even where one's calendar already calls its request "due soon".
        return [queue_group().asc(), "due_on", "received_at"]

    @admin.display(description=_("urgency"), ordering="urgency_rank")
    def urgency_mark(self, obj):
        urgency = Urgency(obj.urgency)
        mark = format_html(
            '<span class="urgency urgency-{} {}">{}</span>',
            urgency.value,
            URGENCY_CLASS[urgency],
            urgency.label,
        )
        if getattr(obj, "source_failed", False):
            mark += format_html(
                ' <span class="flag-warn source-failed">{}</span>', _("run in a system failed")
            )
        return mark

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
            "my_tasks_url": reverse("admin:requests_requesttask_changelist") + "?owner=me",
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
        # Someone who can handle every selected request: allowed to work on requests in each of
        # their organisations (DPOs, by the roles).
        return services.assignees_for({r.organisation_id for r in requests})

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

    def get_object(self, request, object_id, from_field=None):
        # The request page reads its request once: the object its context was built from is the
        # one the form edits and the page renders (with the organisation, person, regime version
        # and deadline events it shows), not a second copy read by the admin's change view.
        page_object = getattr(request, "_request_page_object", None)
        if page_object is not None and from_field is None and str(page_object.pk) == str(object_id):
            return page_object
        return super().get_object(request, object_id, from_field)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Not the list's queryset: the page works out its one request's urgency in Python
        # (urgency_on), so the list's urgency column, which reads every organisation's
        # calendar country, would be a query for nothing.
        queryset = (
            super()
            .get_queryset(request)
            .select_related(
                "organisation", "subject", "regime_version", "assignee", "identity_verified_by"
            )
            .prefetch_related(
                Prefetch("deadline_events", DeadlineEvent.objects.select_related("by")),
                Prefetch(
                    "regime_version__kinds", RequestKindOffer.objects.select_related("reference")
                ),
            )
        )
        try:
            obj = queryset.get(pk=self.model._meta.pk.to_python(object_id))
        except (self.model.DoesNotExist, ValidationError, ValueError):
            obj = None
        context = dict(extra_context or {})
        if obj is not None:
            request._request_page_object = obj
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
            "deadline_events": obj.deadline_events.all(),
            **letter_admin.page_context(request, obj),
            **attachment_admin.page_context(request, obj),
            **conversation_admin.page_context(request, obj),
            **signature_admin.page_context(request, obj),
            # An e-signature is recorded by checking it (signature_admin), never by choice.
            "identity_methods": [
                choice
                for choice in IdentityMethod.choices
                if choice[0] != IdentityMethod.E_SIGNATURE
            ],
            "transitions": lifecycle.transitions_from(obj.status),
            "refusal_grounds": obj.regime_version.refusal_grounds.select_related("reference")
            if obj.regime_version
            else [],
            "refusal_late": timezone.localdate() > obj.refusal_due_on,
            "may_record_no_data": obj.is_open and obj.subject_id is None and not obj.no_data_held,
        }
        # The sections' row sets are small and independent of one another: one statement reads
        # them all.
        sections = {
            name: context[name]
            for name in (
                "letters",
                "attachments",
                "conversation",
                "signature_checks",
                "refusal_grounds",
            )
        }
        rows = read_together(**sections, **fulfilment_admin.row_sets(obj))
        context.update({name: rows[name] for name in sections})
        context.update(fulfilment_admin.change_context(request, obj, rows))
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
            path(
                "<path:object_id>/transition/",
                view(self.transition_view),
                name="requests_transition",
            ),
            path(
                "<path:object_id>/no-data-held/",
                view(self.no_data_held_view),
                name="requests_no_data_held",
            ),
        ]
        urls += letter_admin.admin_urls(self) + attachment_admin.admin_urls(self)
        urls += conversation_admin.admin_urls(self)
        urls += signature_admin.admin_urls(self)
        return urls + fulfilment_admin.admin_urls(self) + super().get_urls()

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

    def _run(self, request, obj, func, success, *, wrote=None):
        """Run one step; ``wrote`` names the free text it saved, as (object getter, fields):
        when that text names the person the request is about, a warning says which field."""
        try:
            func()
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, success, messages.SUCCESS)
            if wrote is not None:
                written, fields = wrote
                warn_if_naming_a_person(request, written(), fields)
        return self._back(obj)

    @staticmethod
    def _saved_request(obj):
        return lambda: SubjectRequest.objects.get(pk=obj.pk)

    @staticmethod
    def _last_deadline_event(obj):
        return lambda: obj.deadline_events.order_by("-pk").first()

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
            if method == IdentityMethod.E_SIGNATURE:
                self.message_user(
                    request,
                    _(
                        "Identity by enhanced e-signature is recorded by checking the signed "
                        "application: use “Verify e-signature” on its attachment."
                    ),
                    messages.ERROR,
                )
                return self._back(obj)
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
                wrote=(self._last_deadline_event(obj), ("reason",)),
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
            wrote=(self._saved_request(obj), ("extension_reason",)),
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

    def transition_view(self, request, object_id):
        """Move the request along one transition of the lifecycle table (POST ``to``)."""
        obj = self._object_for_change(request, object_id)
        target = request.POST.get("to", "")
        post = request.POST
        letter_channel = post.get("letter_channel", "")
        if (
            target in lifecycle.ANSWER_STATUSES
            and obj.kind == RequestKind.DELETION
            and obj.subject_id
            and not letter_channel
        ):
            # The person is erased on closing: the answer must be on its way first, which the
            # completion page of the fulfilment panel asks for.
            self.message_user(
                request,
                _("Choose how the answer is sent: the requester's details are erased on closing."),
                messages.ERROR,
            )
            return self._back(obj)
        return self._run(
            request,
            obj,
            lambda: fulfilment.change_status(
                obj,
                to=target,
                reason=post.get("reason", "").strip(),
                refusal_ground=post.get("refusal_ground", ""),
                lateness_note=post.get("lateness_note", ""),
                letter_language=letter_channel and post.get("letter_language"),
                letter_channel=letter_channel,
                actor=request.user,
            ),
            _("The request is now “%(status)s”.")
            % {"status": RequestStatus(target).label if target in RequestStatus.values else ""},
            # A pause keeps its reason on the deadline event, a closing as the outcome reason.
            wrote=(self._last_deadline_event(obj), ("reason",))
            if target == RequestStatus.PAUSED
            else (self._saved_request(obj), ("outcome_reason",)),
        )

    def no_data_held_view(self, request, object_id):
        obj = self._object_for_change(request, object_id)
        return self._run(
            request,
            obj,
            lambda: services.record_no_data_held(obj, actor=request.user),
            _("Recorded: no data is held about this person."),
        )


# --- My tasks: each owner's queue of per-system work -------------------------------------------


class TaskOwnerFilter(admin.SimpleListFilter):
    title = _("owner")
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [("me", _("My tasks")), ("none", _("Nobody"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(owner=request.user)
        if self.value() == "none":
            return queryset.filter(owner__isnull=True)
        return queryset


class OpenTaskFilter(OpenFilter):
    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        if self.value() == "closed":
            return queryset.exclude(status=TaskStatus.OPEN)
        return queryset.filter(status=TaskStatus.OPEN)


@admin.register(RequestTask)
class RequestTaskAdmin(OrganisationScopedAdmin):
    """Read here, worked on the request page (where the records and the resolution are)."""

    list_display = [
        "request_link",
        "system",
        "action",
        "owner",
        "due_on",
        "days_overdue",
        "status",
    ]
    list_filter = [OpenTaskFilter, TaskOwnerFilter, "action", "organisation"]
    list_select_related = ("request", "system", "owner", "organisation")
    ordering = ["due_on", "pk"]
    search_fields = ["request__reference", "system__name"]
    inlines = [TaskReceiptInline]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("request"), ordering="request__reference")
    def request_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:requests_subjectrequest_change", args=[obj.request_id]),
            obj.request.reference,
        )

    @admin.display(description=_("days overdue"), ordering="due_on", empty_value="")
    def days_overdue(self, obj):
        return overdue_days(obj.due_on, obj.status == TaskStatus.OPEN) or None


# --- The report, in the admin index for every role that may read it --------------------------


admin.site.register(RequestReport, reports.RequestReportAdmin)

# The incoming-mail view and the mailbox settings register their own admins.
from .mailbox import admin as mailbox_admin  # noqa: E402, F401
