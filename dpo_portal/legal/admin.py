"""The legal rules in the admin: references (checked or not), regimes and their versions, the
Cabinet's calendar decisions and the state registration rule. Every model keeps its history.

Saving a regime version that would move open requests' deadlines first shows those requests
(a confirmation page); confirming saves it and recomputes them in the background. A calendar
decision takes effect on the next calculation everywhere; saving or deleting one recomputes the
stored due dates in the background.
"""

import datetime

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from . import changes
from .models import (
    CalendarDay,
    CalendarDecision,
    LegalReference,
    RefusalGround,
    Regime,
    RegimeVersion,
    RegistrationRule,
    RequestKindOffer,
)

CONFIRM_FIELD = "_confirm_deadline_moves"


class VerificationFilter(admin.SimpleListFilter):
    title = _("verification")
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [("yes", _("verified")), ("no", _("unverified"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.verified()
        if self.value() == "no":
            return queryset.unverified()
        return queryset


@admin.register(LegalReference)
class LegalReferenceAdmin(SimpleHistoryAdmin):
    list_display = ["citation_display", "code", "verification_display", "source_display"]
    list_filter = [VerificationFilter]
    search_fields = ["code", "citation_az", "citation_en", "text"]
    list_select_related = ["verified_by"]
    autocomplete_fields = []
    fieldsets = [
        (None, {"fields": ["code", "citation_az", "citation_en", "text"]}),
        (_("Source"), {"fields": ["source_url", "source_document"]}),
        (
            _("Verification"),
            {
                "fields": ["verified_on", "verified_by", "verified_by_name"],
                "description": _(
                    "Set the date only after reading the provision in the official text. "
                    "Leave it empty while the figure comes from secondary sources."
                ),
            },
        ),
    ]
    actions = ["mark_verified"]

    @admin.display(description=_("citation"), ordering="citation_en")
    def citation_display(self, obj):
        return obj.citation

    @admin.display(description=_("verification"), ordering="verified_on")
    def verification_display(self, obj):
        css = "flag-ok" if obj.is_verified else "flag-warn"
        return format_html('<span class="{}">{}</span>', css, obj.verification)

    @admin.display(description=_("source"))
    def source_display(self, obj):
        if obj.source_url:
            return format_html('<a href="{0}" rel="noopener">{0}</a>', obj.source_url)
        return obj.source_document or "—"

    def get_changeform_initial_data(self, request):
        return {**super().get_changeform_initial_data(request), "verified_by": request.user.pk}

    def save_model(self, request, obj, form, change):
        if obj.verified_on and not (obj.verified_by_id or obj.verified_by_name):
            obj.verified_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(
        description=_("Mark as verified against the official text today, by me"),
        permissions=["change"],
    )
    def mark_verified(self, request, queryset):
        today = timezone.localdate()
        count = 0
        for reference in queryset.unverified():
            reference.verified_on, reference.verified_by = today, request.user
            reference.save(update_fields=["verified_on", "verified_by"])
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d reference marked as verified.",
                "%(count)d references marked as verified.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


class RegimeVersionInline(admin.TabularInline):
    model = RegimeVersion
    fields = ["version_link", "effective_from", "answer_count", "answer_unit", "refusal_count"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("version"))
    def version_link(self, obj):
        return str(obj)


@admin.register(Regime)
class RegimeAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "code", "version_in_force"]
    fields = ["code", "name_az", "name_en"]
    inlines = [RegimeVersionInline]

    @admin.display(description=_("version in force today"))
    def version_in_force(self, obj):
        return obj.version_on(timezone.localdate()) or "—"


class RequestKindOfferInline(admin.StackedInline):
    model = RequestKindOffer
    extra = 0
    fields = [("kind", "reference"), ("description_az", "description_en")]
    autocomplete_fields = ["reference"]


class RefusalGroundInline(admin.TabularInline):
    model = RefusalGround
    extra = 0
    fields = ["code", "label_az", "label_en", "reference"]
    autocomplete_fields = ["reference"]


def first_of_next_month(day):
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


@admin.register(RegimeVersion)
class RegimeVersionAdmin(SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "regime",
        "effective_from",
        "answer_period",
        "refusal_period",
        "calendar_country",
    ]
    list_filter = ["regime"]
    list_select_related = ["regime"]
    date_hierarchy = "effective_from"
    autocomplete_fields = [
        "law",
        "answer_reference",
        "extension_reference",
        "refusal_reference",
    ]
    fieldsets = [
        (None, {"fields": ["regime", ("name_az", "name_en"), "law", "effective_from"]}),
        (
            _("Answer"),
            {
                "fields": [
                    ("answer_count", "answer_unit"),
                    "counting_starts",
                    "calendar_country",
                    "answer_reference",
                ]
            },
        ),
        (
            _("Extensions"),
            {
                "fields": [
                    ("third_party_extension_count", "third_party_extension_unit"),
                    ("max_extension_count", "max_extension_unit"),
                    ("extension_notice_count", "extension_notice_unit"),
                    "extension_reference",
                ]
            },
        ),
        (
            _("Reasoned refusal"),
            {"fields": [("refusal_count", "refusal_unit"), "refusal_reference"]},
        ),
    ]
    COPIED_FIELDS = [
        "regime",
        "name_az",
        "name_en",
        "law",
        "calendar_country",
        "answer_count",
        "answer_unit",
        "counting_starts",
        "answer_reference",
        "third_party_extension_count",
        "third_party_extension_unit",
        "max_extension_count",
        "max_extension_unit",
        "extension_notice_count",
        "extension_notice_unit",
        "extension_reference",
        "refusal_count",
        "refusal_unit",
        "refusal_reference",
    ]

    @admin.display(description=_("answer within"))
    def answer_period(self, obj):
        return f"{obj.answer_count} {obj.get_answer_unit_display()}"

    @admin.display(description=_("reasoned refusal within"))
    def refusal_period(self, obj):
        if not obj.refusal_count:
            return _("with the answer")
        return f"{obj.refusal_count} {obj.get_refusal_unit_display()}"

    def get_inlines(self, request, obj):
        # A new version starts as a copy of its predecessor's kinds and grounds (see
        # save_related); they are edited once it exists.
        return [RequestKindOfferInline, RefusalGroundInline] if obj else []

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        source = RegimeVersion.objects.filter(pk=request.GET.get("copy_from") or None).first()
        if source is not None:
            initial.update(
                {
                    name: getattr(source, f"{name}_id", None) or getattr(source, name)
                    for name in self.COPIED_FIELDS
                }
            )
            initial["effective_from"] = first_of_next_month(timezone.localdate())
        return initial

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            return
        version = form.instance
        source = (
            RegimeVersion.objects.filter(regime_id=version.regime_id)
            .exclude(pk=version.pk)
            .in_force_on(version.effective_from)
            .first()
        )
        if source is None:
            return
        RequestKindOffer.objects.bulk_create(
            RequestKindOffer(
                version=version,
                kind=o.kind,
                reference_id=o.reference_id,
                description_az=o.description_az,
                description_en=o.description_en,
            )
            for o in source.kinds.all()
        )
        RefusalGround.objects.bulk_create(
            RefusalGround(
                version=version,
                code=g.code,
                label_az=g.label_az,
                label_en=g.label_en,
                reference_id=g.reference_id,
            )
            for g in source.refusal_grounds.all()
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and CONFIRM_FIELD not in request.POST:
            confirmation = self._confirmation(request, object_id)
            if confirmation is not None:
                return confirmation
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if (
            request.method == "POST"
            and CONFIRM_FIELD in request.POST
            and response.status_code == 302
        ):
            self._recompute(request, object_id)
        return response

    def _candidate(self, request, object_id):
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        form = self.get_form(request, obj, change=obj is not None)(
            request.POST, request.FILES, instance=obj
        )
        return form.save(commit=False) if form.is_valid() else None

    def _confirmation(self, request, object_id):
        """The open requests whose deadlines the edit would move, before anything is saved;
        None when it moves none (or the form has errors, which the normal form shows)."""
        candidate = self._candidate(request, object_id)
        if candidate is None:
            return None
        change = changes.RuleChange(regime_code=candidate.regime.code, version=candidate)
        rows = changes.preview(change, request.user)
        if not rows:
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Deadlines this change moves"),
            "opts": self.opts,
            "version": candidate,
            "rows": [row for row in rows if row["visible"]],
            "hidden_count": sum(not row["visible"] for row in rows),
            "post_items": [
                (key, value)
                for key in request.POST
                if key != "csrfmiddlewaretoken"
                for value in request.POST.getlist(key)
            ],
            "confirm_field": CONFIRM_FIELD,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "legal/admin/confirm_deadline_moves.html", context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        request.saved_regime_version = obj  # for _recompute, once the whole save succeeded

    def _recompute(self, request, object_id):
        version = request.saved_regime_version
        started = changes.apply(changes.RuleChange(regime_code=version.regime.code), request.user)
        self.message_user(
            request,
            ngettext(
                "The open requests of %(count)d organisation are being recomputed in the "
                "background.",
                "The open requests of %(count)d organisations are being recomputed in the "
                "background.",
                started,
            )
            % {"count": started},
            messages.INFO,
        )

    def delete_model(self, request, obj):
        code = obj.regime.code
        super().delete_model(request, obj)
        changes.apply(changes.RuleChange(regime_code=code), request.user)


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 3
    fields = ["day", "kind", "name"]


@admin.register(CalendarDecision)
class CalendarDecisionAdmin(SimpleHistoryAdmin):
    list_display = ["year", "country", "reference", "confirms_bayram_dates", "day_count"]
    list_filter = ["country", "year"]
    fields = ["country", "year", "reference", "source_url", "confirms_bayram_dates", "recorded_by"]
    readonly_fields = ["recorded_by"]
    inlines = [CalendarDayInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_day_count=Count("days"))

    @admin.display(description=_("days recorded"), ordering="_day_count")
    def day_count(self, obj):
        return obj._day_count

    def get_changeform_initial_data(self, request):
        return {
            **super().get_changeform_initial_data(request),
            "year": timezone.localdate().year + 1,
        }

    def save_model(self, request, obj, form, change):
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        decision = form.instance
        # Touch the decision so the calendar's stamp changes even when only a day was edited.
        CalendarDecision.objects.filter(pk=decision.pk).update(changed_at=timezone.now())
        self._recompute(request, decision.country)

    def delete_model(self, request, obj):
        country = obj.country
        super().delete_model(request, obj)
        self._recompute(request, country)

    def _recompute(self, request, country):
        started = changes.apply(changes.RuleChange(country=country), request.user)
        if started:
            self.message_user(
                request,
                _("Open requests' deadlines are being recomputed on the new calendar."),
                messages.INFO,
            )


@admin.register(RegistrationRule)
class RegistrationRuleAdmin(SimpleHistoryAdmin):
    list_display = ["country", "subject_threshold", "days_to_file", "fine_range"]
    autocomplete_fields = ["filing_reference", "fine_reference"]

    @admin.display(description=_("fine"))
    def fine_range(self, obj):
        return f"AZN {obj.fine_min_azn}–{obj.fine_max_azn}"
