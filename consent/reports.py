"""The record of processing of one organisation, as a regulator reads it: one row per activity
with the GDPR Art. 30(1) columns and the Azerbaijani state registration of the systems.

The same rows feed the XLSX file and the printable page, in the language of the request. Every
many-to-many list is prefetched: a fixed number of queries whatever the number of activities.

Apps built on consent add the columns only they can fill, in their ``record_columns.py``; e.g.
retention, the time limits for erasure of Art. 30(1)(f):

    from consent.reports import record_column

    @record_column("erasure", _("Time limits for erasure"), after="security_measures")
    def erasure_limits(activity_ids):
        return {activity_id: "…", ...}  # one text per activity, from one or two queries
"""

import io

from django.db.models import Prefetch
from django.utils import formats, timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from dpo_portal.exports import append_row, spreadsheet_cell
from dpo_portal.register.models import HOME_COUNTRY, Recipient, System

from .gaps import gaps_of
from .models import ProcessingActivity

# (key, header): the keys are those of record_rows(); see columns() for the whole list.
COLUMNS = [
    ("code", gettext_lazy("Code")),
    ("name", gettext_lazy("Processing activity")),
    ("purpose", gettext_lazy("Purpose of the processing")),
    ("legal_basis", gettext_lazy("Legal basis")),
    ("legal_basis_article", gettext_lazy("Article")),
    ("legitimate_interest_assessment", gettext_lazy("Legitimate-interest assessment")),
    ("subject_types", gettext_lazy("Categories of data subjects")),
    ("categories", gettext_lazy("Categories of personal data")),
    ("special_categories", gettext_lazy("Special categories and biometric data")),
    ("sources", gettext_lazy("Sources of the data")),
    ("recipients", gettext_lazy("Categories of recipients")),
    ("transfers", gettext_lazy("Transfers abroad and their safeguards")),
    ("systems", gettext_lazy("Information systems")),
    ("system_registrations", gettext_lazy("State registration of the systems (number, date)")),
    ("security_measures", gettext_lazy("Technical and organisational security measures")),
    ("owner", gettext_lazy("Owner")),
    ("dpia_needed", gettext_lazy("DPIA needed")),
    ("gaps", gettext_lazy("Gaps")),
]


_EXTRA_COLUMNS = {}  # key -> (header, after, func)
_discovered = False


def record_column(key, header, after="security_measures"):
    """Decorator: add the column ``key`` after the column ``after``; ``func(activity_ids)``
    returns {activity id: text} for the activities of one organisation's record."""

    def register(func):
        _EXTRA_COLUMNS[key] = (header, after, func)
        return func

    return register


def columns():
    """COLUMNS with the columns other apps registered, each after the one it names."""
    global _discovered
    if not _discovered:
        _discovered = True
        autodiscover_modules("record_columns")
    result = list(COLUMNS)
    for key, (header, after, _func) in _EXTRA_COLUMNS.items():
        keys = [k for k, _h in result]
        position = keys.index(after) + 1 if after in keys else len(result)
        result.insert(position, (key, header))
    return result


def record_queryset(organisation):
    return (
        ProcessingActivity.objects.filter(organisation=organisation)
        .with_gaps()
        .select_related("legal_basis")
        .prefetch_related(
            "categories",
            "subject_types",
            "sources",
            Prefetch("systems", queryset=System.objects.order_by("name")),
            Prefetch(
                "recipients",
                queryset=Recipient.objects.order_by("name").prefetch_related("transfers"),
            ),
        )
        .order_by("code")
    )


def _names(items):
    return "; ".join(sorted(str(item) for item in items))


def _date(value):
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""


def transfer_lines(recipients):
    lines = []
    for recipient in recipients:
        transfers = list(recipient.transfers.all())
        covered = {t.country.code for t in transfers}
        for transfer in transfers:
            if transfer.country.code == HOME_COUNTRY:
                continue
            mechanism = transfer.get_mechanism_display() or _("no mechanism")
            lines.append(f"{recipient.name} → {transfer.country.name}: {mechanism}")
        if recipient.is_abroad and recipient.country.code not in covered:
            lines.append(f"{recipient.name} → {recipient.country.name}: {_('no mechanism')}")
    return "\n".join(lines)


def _registrations(systems):
    lines = []
    for system in systems:
        if system.registration_number:
            lines.append(
                f"{system.name}: {system.registration_number} {_date(system.registration_date)}"
            )
        elif system.needs_registration:
            lines.append(f"{system.name}: {_('required, missing')}")
        else:
            lines.append(f"{system.name}: {_('not required')}")
    return "\n".join(lines)


def record_rows(organisation):
    """One dict of display strings per activity of ``organisation``, keyed as COLUMNS."""
    rows = []
    for activity in record_queryset(organisation):
        basis = activity.legal_basis
        categories = list(activity.categories.all())
        recipients = list(activity.recipients.all())
        systems = list(activity.systems.all())
        rows.append(
            {
                "pk": activity.pk,
                "code": activity.code,
                "name": activity.name,
                "purpose": activity.purpose,
                "legal_basis": basis.get_kind_display() if basis else "",
                "legal_basis_article": basis.article if basis else "",
                "legitimate_interest_assessment": activity.legitimate_interest_assessment,
                "subject_types": _names(activity.subject_types.all()),
                "categories": _names(categories),
                "special_categories": _names(c for c in categories if c.is_special),
                "sources": _names(activity.sources.all()),
                "recipients": "; ".join(
                    f"{r.name} ({r.get_category_display()}, {r.country.name})" for r in recipients
                ),
                "transfers": transfer_lines(recipients),
                "systems": _names(systems),
                "system_registrations": _registrations(systems),
                "security_measures": activity.security_measures,
                "owner": activity.owner,
                "dpia_needed": _("yes") if activity.dpia_needed else _("no"),
                "gaps": "; ".join(str(gap.label) for gap in gaps_of(activity)),
            }
        )
    columns()  # discovers the other apps' columns
    for key, (_header, _after, func) in _EXTRA_COLUMNS.items():
        values = func([row["pk"] for row in rows])
        for row in rows:
            row[key] = values.get(row["pk"], "")
    return rows


def controller_lines(organisation):
    """Art. 30(1)(a): the controller and its data protection officer."""
    return [
        (_("Controller"), organisation.name),
        (_("Tax id (VÖEN)"), organisation.tax_id),
        (_("Address"), organisation.address),
        (
            _("Data protection officer"),
            ", ".join(
                v
                for v in (organisation.dpo_name, organisation.dpo_email, organisation.dpo_phone)
                if v
            ),
        ),
        (_("Legal regime"), organisation.get_regime_display()),
        (_("Drawn up on"), formats.date_format(timezone.localdate(), "DATE_FORMAT")),
    ]


def record_xlsx(organisation):
    """The record of processing as an XLSX file (bytes), built in memory."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("Record of processing"))[:31]
    bold = Font(bold=True)
    top = Alignment(wrap_text=True, vertical="top")
    header = controller_lines(organisation)
    for label, value in header:
        append_row(sheet, [str(label), value])
    for row_cells in sheet.iter_rows(min_row=1, max_row=len(header), max_col=1):
        row_cells[0].font = bold
    header_row = len(header) + 2  # after one blank row
    table_columns = columns()
    for index, (_key, title) in enumerate(table_columns, start=1):
        cell = sheet.cell(row=header_row, column=index, value=str(title))
        cell.font, cell.alignment = bold, top
    for offset, row in enumerate(record_rows(organisation), start=1):
        for index, (key, _title) in enumerate(table_columns, start=1):
            cell = sheet.cell(
                row=header_row + offset, column=index, value=spreadsheet_cell(row[key])
            )
            cell.alignment = top
    for index in range(1, len(table_columns) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 28
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
