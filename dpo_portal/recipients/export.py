"""The recipient register of one organisation, as the regulator reads it: rows for the printable
page and the XLSX workbook, in the active language, built in a fixed number of queries."""

import io
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from dpo_portal.exports import append_row
from dpo_portal.register.models import Recipient, RecipientTransfer


def count_of(through, fk_name):
    """Count rows of an M2M table pointing at the outer row: a subquery per row, so several
    counts on one list do not multiply each other as joins would."""
    rows = (
        through.objects.filter(**{fk_name: OuterRef("pk")})
        .order_by()
        .values(fk_name)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def with_register_counts(queryset):
    """Annotate activity_count, category_count and lacks_transfer_mechanism."""
    return queryset.with_transfer_gap().annotate(
        # ProcessingActivity.recipients (consent app) reaches us by its reverse name only.
        activity_count=count_of(Recipient.activities.through, "recipient_id"),
        category_count=count_of(Recipient.categories.through, "recipient_id"),
    )


@dataclass
class RegisterRow:
    recipient: Recipient
    categories: list
    activities: list
    transfers: list


def register_rows(organisation):
    recipients = (
        Recipient.objects.filter(organisation=organisation)
        .with_transfer_gap()
        .order_by("category", "name")
        .prefetch_related(
            "categories",
            Prefetch("transfers", queryset=RecipientTransfer.objects.order_by("country")),
            Prefetch("activities", queryset=Recipient.activities.field.model.objects.only("name")),
        )
    )
    return [
        RegisterRow(
            recipient=r,
            categories=[c.name for c in r.categories.all()],
            activities=[a.name for a in r.activities.all()],
            transfers=list(r.transfers.all()),
        )
        for r in recipients
    ]


def transfer_label(transfer):
    mechanism = transfer.get_mechanism_display() or _("no mechanism")
    return f"{transfer.country.name}: {mechanism}"


def register_xlsx(organisation, rows=None):
    """The register as an XLSX workbook (bytes): one sheet of recipients, one of transfers."""
    rows = register_rows(organisation) if rows is None else rows
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Recipients")[:31]
    append_row(sheet, [_("Recipient register of %(name)s") % {"name": organisation.name}])
    append_row(sheet, [_("Exported on %(date)s") % {"date": timezone.localdate().isoformat()}])
    append_row(sheet, [])
    headers = [
        _("Code"),
        _("Name"),
        _("Category"),
        _("Role"),
        _("Country"),
        _("Data categories"),
        _("Processing activities"),
        _("Contract or DPA reference"),
        _("Signed on"),
        _("Expires on"),
        _("Review interval (months)"),
        _("Last reviewed on"),
        _("Next review due"),
        _("Transfers abroad"),
        _("Transfer without a mechanism"),
    ]
    append_row(sheet, headers)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet["A1"].font = Font(bold=True, size=14)
    for row in rows:
        r = row.recipient
        append_row(
            sheet,
            [
                r.code,
                r.name,
                r.get_category_display(),
                r.get_role_display(),
                r.country.name,
                "; ".join(row.categories),
                "; ".join(row.activities),
                r.contract_reference,
                r.contract_signed_on,
                r.contract_expires_on,
                r.review_interval_months,
                r.last_reviewed_on,
                r.next_review_due,
                "; ".join(transfer_label(t) for t in row.transfers),
                _("Yes") if r.lacks_transfer_mechanism else _("No"),
            ],
        )
    transfers = workbook.create_sheet(_("Transfers abroad")[:31])
    append_row(
        transfers,
        [
            _("Recipient code"),
            _("Recipient"),
            _("Destination country"),
            _("Mechanism"),
            _("Evidence"),
        ],
    )
    for cell in transfers[1]:
        cell.font = Font(bold=True)
    for row in rows:
        for t in row.transfers:
            append_row(
                transfers,
                [
                    row.recipient.code,
                    row.recipient.name,
                    t.country.name,
                    t.get_mechanism_display() or _("no mechanism"),
                    t.evidence,
                ],
            )
    for ws in (sheet, transfers):
        for column in ws.columns:
            letter = column[0].column_letter
            ws.column_dimensions[letter].width = min(
                60, max(10, *(len(str(c.value or "")) for c in column))
            )
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
