"""The template of the record import (imports.py): its columns, an example row from the
organisation's register and the organisation's systems, categories and activities."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from consent.models import ProcessingActivity
from dpo_portal.jobs.import_templates import (
    EXAMPLE_PERSON,
    CodeList,
    ImportTemplate,
    entry_codes,
)
from dpo_portal.register.models import DataCategory, System

from . import imports


def records_template(organisation):
    lists = {
        "system": entry_codes(System, organisation),
        "category": entry_codes(DataCategory, organisation),
        "activity": entry_codes(ProcessingActivity, organisation),
    }
    example = {
        "organisation": organisation.slug,
        # The example person of the data-subject template: import that one first, or give the
        # reference of a person of your register.
        "subject_ref": EXAMPLE_PERSON["external_ref"],
        "external_id": "EXAMPLE-RECORD-1",
        "collected_at": (timezone.localdate() - datetime.timedelta(days=30)).isoformat(),
        **{column: rows[0][0] if rows else "" for column, rows in lists.items()},
    }
    titles = {
        "system": System._meta.verbose_name_plural,
        "category": DataCategory._meta.verbose_name_plural,
        "activity": _("processing activities"),
    }
    return ImportTemplate(
        name="record-import-template",
        columns=list(imports.COLUMNS),
        example=example,
        code_lists=[
            CodeList(
                str(_("organisation")), "organisation", [(organisation.slug, organisation.name)]
            ),
            *(CodeList(str(titles[column]), column, rows) for column, rows in lists.items()),
        ],
        notes=[
            _(
                "A record's person is given by subject_ref (their reference) or subject_fin. The "
                "example names the example person of the data-subject template: import that "
                "template first, or put the reference of a person already in the register."
            ),
            _("activity and clock_start may be left empty."),
        ],
    )
