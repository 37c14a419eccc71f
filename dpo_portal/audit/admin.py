"""The audit trail as a regulator reads it: sentences in the reader's language, the actor's
name and role, Baku time, a link to the object; filters by organisation, actor, action and
period; the filtered list exported as XLSX or CSV."""

import datetime

import tablib
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dpo_portal.deletion import NeverDeletedAdmin
from dpo_portal.exports import spreadsheet_cell
from dpo_portal.register.roles import member_organisation_ids
from dpo_portal.register.scoping import OrganisationScopedAdmin
from dpo_portal.reports import download

from .models import AuditEvent
from .reading import read
from .sentences import action_choices, action_label

EXPORT_LIMIT = 100_000


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return action_choices()

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class ActorFilter(admin.SimpleListFilter):
    """The people of the reader's organisations, by full name."""

    title = _("by")
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        users = get_user_model().objects.filter(is_staff=True).order_by("first_name", "username")
        if not request.user.is_superuser:
            users = users.filter(
                memberships__organisation_id__in=member_organisation_ids(request.user)
            ).distinct()
        return [("none", _("The portal (scheduled jobs)"))] + [
            (str(user.pk), user.get_full_name() or user.get_username()) for user in users
        ]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(actor__isnull=True)
        if self.value():
            return queryset.filter(actor_id=self.value())
        return queryset


class PeriodFilter(admin.ListFilter):
    """From and to, both days included, in Baku time; the bounds become datetimes so the
    created_at index serves the range."""

    title = _("period")
    template = "admin/audit/period_filter.html"
    parameters = ("period_from", "period_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.values = {}
        for name in self.parameters:
            if name in params:
                raw = params.pop(name)
                raw = raw[-1] if isinstance(raw, list) else raw
                try:
                    self.values[name] = datetime.date.fromisoformat(raw)
                except ValueError:
                    raise IncorrectLookupParameters(name) from None
                self.used_parameters[name] = raw

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def choices(self, changelist):
        return [
            {
                "query_string": changelist.get_query_string(remove=self.parameters),
                "values": {name: self.used_parameters.get(name, "") for name in self.parameters},
                "hidden": [
                    (key, value)
                    for key, value in changelist.params.items()
                    if key not in self.parameters
                ],
            }
        ]

    def queryset(self, request, queryset):
        start, end = self.values.get("period_from"), self.values.get("period_to")
        if start:
            queryset = queryset.filter(created_at__gte=_start_of(start))
        if end:
            queryset = queryset.filter(created_at__lt=_start_of(end + datetime.timedelta(days=1)))
        return queryset


def _start_of(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class ReadableChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        self.result_list = read(list(self.result_list))


@admin.register(AuditEvent)
class AuditEventAdmin(NeverDeletedAdmin, OrganisationScopedAdmin):
    list_display = ["when", "sentence", "actor_display", "organisation", "sequence"]
    list_display_links = ["when"]
    list_filter = ["organisation", ActorFilter, ActionFilter, PeriodFilter]
    list_select_related = ("organisation", "actor")
    search_fields = ["=target_id"]
    change_list_template = "admin/audit/auditevent/change_list.html"
    fields = [
        "when",
        "sentence",
        "actor_display",
        "organisation",
        "action_display",
        "sequence",
        "previous_hash",
        "hash",
        "details",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_changelist(self, request, **kwargs):
        return ReadableChangeList

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        return read([obj])[0] if obj is not None else None

    @admin.display(description=_("when (Baku time)"), ordering="created_at")
    def when(self, obj):
        return format_html(
            '<time datetime="{}">{}</time>',
            obj.created_at.isoformat(),
            formats.date_format(obj.local_time, "j E Y, H:i"),
        )

    @admin.display(description=_("what happened"))
    def sentence(self, obj):
        if obj.target_url and obj.target_label and obj.target_label in obj.sentence:
            before, _sep, after = obj.sentence.partition(obj.target_label)
            return format_html(
                '{}<a href="{}" class="audit-target">{}</a>{}',
                before,
                obj.target_url,
                obj.target_label,
                after,
            )
        return obj.sentence

    @admin.display(description=_("by"))
    def actor_display(self, obj):
        if obj.actor_role:
            return format_html("{}<br><small>{}</small>", obj.actor_name, obj.actor_role)
        return obj.actor_name

    @admin.display(description=_("action"))
    def action_display(self, obj):
        return f"{action_label(obj.action)} ({obj.action})"

    # --- export of the filtered list ----------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="audit_auditevent_export",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        query = request.GET.copy()
        extra_context = {**(extra_context or {}), "export_query": query.urlencode()}
        return super().changelist_view(request, extra_context)

    def export_view(self, request):
        """The list as filtered (organisation, actor, action, period), oldest first, with the
        chain columns so that the export itself can be checked."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        fmt = request.GET.get("format", "xlsx")
        if fmt not in {"csv", "xlsx"}:
            raise Http404
        params = request.GET.copy()
        params.pop("format", None)
        request.GET = params
        changelist = self.get_changelist_instance(request)
        events = changelist.get_queryset(request).select_related(
            "organisation", "actor", "target_type"
        )
        events = read(list(events.order_by("created_at", "pk")[:EXPORT_LIMIT]))
        dataset = tablib.Dataset(
            headers=[
                str(_("when (Baku time)")),
                str(_("what happened")),
                str(_("by")),
                str(_("role")),
                str(_("organisation")),
                str(_("action")),
                str(_("no. in the chain")),
                str(_("hash of the previous event")),
                str(_("hash")),
            ],
            title=str(_("audit events"))[:31],
        )
        for event in events:
            dataset.append(
                [
                    event.local_time.strftime("%Y-%m-%d %H:%M:%S"),
                    spreadsheet_cell(event.sentence),
                    spreadsheet_cell(event.actor_name),
                    str(event.actor_role),
                    spreadsheet_cell(event.organisation.name),
                    str(action_label(event.action)),
                    event.sequence,
                    event.previous_hash,
                    event.hash,
                ]
            )
        first = events[0].local_time.date() if events else None
        last = events[-1].local_time.date() if events else None
        return download([dataset], fmt, f"audit-trail-{first or ''}-{last or ''}")
