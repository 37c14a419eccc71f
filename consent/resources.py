"""Bulk import and export of consents from the organisations' systems (CSV, XLSX, JSON).

One row per consent:

    organisation, subject, activity, notice_registry_number, notice_edition, notice_language,
    given_at, channel, evidence_reference, withdrawn_at, withdrawal_channel

``subject`` is the person's reference in the organisation's systems, or their FIN; ``activity``
is the activity's code; the notice is named by registry number, edition and language. A consent
is identified by (organisation, subject, activity, given_at), so importing the same file again
finds every row unchanged and writes nothing. Any bad row refuses the whole file, each reason
shown with its row number (see dpo_portal/register/importing.py).
"""

from django.db.models import Q
from django.utils.translation import gettext as _
from import_export import fields, widgets

from dpo_portal.register.importing import OrganisationResource, entry_field
from dpo_portal.register.models import DataSubject, normalise_fin

from .models import Consent, PrivacyNotice, ProcessingActivity


class SubjectWidget(widgets.ForeignKeyWidget):
    """A person of the row's organisation, by reference or by FIN (erased people never match)."""

    def __init__(self):
        super().__init__(DataSubject, field="external_ref")

    def clean(self, value, row=None, **kwargs):
        value = str(value or "").strip()
        if not value:
            raise ValueError(_("The subject is missing."))
        matches = list(
            DataSubject.objects.filter(
                organisation__slug=(row or {}).get("organisation"), erased_at__isnull=True
            )
            .filter(Q(external_ref=value) | Q(fin=normalise_fin(value)))
            .only("pk", "organisation_id")[:2]
        )
        # The messages do not repeat the value: a FIN is personal data, and the preview shows
        # the row next to them anyway.
        if not matches:
            raise ValueError(_("No data subject with this reference or FIN in this organisation."))
        if len(matches) > 1:
            raise ValueError(
                _("This value matches more than one data subject; use their reference.")
            )
        return matches[0]

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value.external_ref or value.fin


class NoticeWidget(widgets.ForeignKeyWidget):
    """A notice version of the row's organisation by registry number, edition and language."""

    def __init__(self):
        super().__init__(PrivacyNotice, field="registry_number")

    def clean(self, value, row=None, **kwargs):
        row = row or {}
        number = str(value or "").strip()
        if not number:
            return None
        edition = str(row.get("notice_edition") or "").strip()
        language = str(row.get("notice_language") or "").strip() or "az"
        try:
            return PrivacyNotice.objects.get(
                organisation__slug=row.get("organisation"),
                registry_number=number,
                edition=edition,
                language=language,
            )
        except PrivacyNotice.DoesNotExist:
            raise ValueError(
                _("No privacy notice %(number)s / %(edition)s (%(language)s) in this organisation.")
                % {"number": number, "edition": edition, "language": language}
            ) from None


class ConsentResource(OrganisationResource):
    subject = fields.Field(attribute="subject", column_name="subject", widget=SubjectWidget())
    personal_columns = ("subject",)  # masked in the row-error report
    activity = entry_field(ProcessingActivity, "activity")
    notice = fields.Field(
        attribute="notice", column_name="notice_registry_number", widget=NoticeWidget()
    )
    # Read by NoticeWidget from the row; exported for a round trip.
    notice_edition = fields.Field(column_name="notice_edition", readonly=True)
    notice_language = fields.Field(column_name="notice_language", readonly=True)

    class Meta(OrganisationResource.Meta):
        model = Consent
        import_id_fields = ("organisation", "subject", "activity", "given_at")
        fields = (
            "organisation",
            "subject",
            "activity",
            "notice",
            "notice_edition",
            "notice_language",
            "given_at",
            "channel",
            "evidence_reference",
            "withdrawn_at",
            "withdrawal_channel",
        )
        export_order = fields

    def template_example(self, organisation):
        """The import template's columns only this resource knows (dpo_portal/jobs/
        import_templates.py): the person and the notice version."""
        from dpo_portal.jobs.import_templates import EXAMPLE_PERSON, CodeList

        notices = list(
            PrivacyNotice.objects.filter(organisation=organisation).order_by(
                "registry_number", "edition", "language"
            )
        )
        example = {"subject": EXAMPLE_PERSON["external_ref"]}
        if notices:
            example.update(
                notice_registry_number=notices[0].registry_number,
                notice_edition=notices[0].edition,
                notice_language=notices[0].language,
            )
        lists = [
            CodeList(
                str(PrivacyNotice._meta.verbose_name_plural),
                "notice_registry_number",
                [(n.registry_number, f"{n.edition} · {n.language}") for n in notices],
            )
        ]
        notes = [
            _(
                "subject is the person's reference or FIN. The example names the example person "
                "of the data-subject template: import that template first, or put the reference "
                "of a person already in the register."
            ),
            _(
                "notice_registry_number, notice_edition and notice_language name the version of "
                "the privacy notice the person accepted."
            ),
        ]
        return example, lists, notes

    def dehydrate_notice_edition(self, consent):
        return consent.notice.edition if consent.notice_id else ""

    def dehydrate_notice_language(self, consent):
        return consent.notice.language if consent.notice_id else ""

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("organisation", "subject", "activity", "notice")
            .filter(subject__erased_at__isnull=True)
        )
