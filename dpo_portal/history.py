"""History pages a DPO (or an auditor) can read: simple-history's object history with the
fields' verbose names, choice labels instead of codes, Yes/No, local Baku times without
microseconds, and "erased person #45" instead of "Deleted … (pk=None)". Every history admin of
the portal builds on ReadableHistoryAdmin (through OrganisationScopedAdmin), so the pages read the
same everywhere.
"""

import datetime

from django.db import models
from django.utils import formats, timezone
from django.utils.html import conditional_escape
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

EMPTY = "—"


def readable_value(field, value):
    """One value of a history diff as a person reads it, in the active language."""
    if isinstance(value, DeletedObject):
        if value.pk is None:
            return EMPTY
        if value.model._meta.label == "register.DataSubject":
            return _("erased person #%(pk)s") % {"pk": value.pk}
        return _("deleted %(model)s #%(pk)s") % {
            "model": value.model._meta.verbose_name,
            "pk": value.pk,
        }
    if isinstance(value, list):  # many-to-many: the related objects
        return ", ".join(str(readable_value(None, item)) for item in value) or EMPTY
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(value.replace(microsecond=0), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    return str(value)


class ReadableHistoryContextHelper(HistoricalRecordContextHelper):
    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if isinstance(field, models.ManyToManyField):
            value = super().prepare_delta_change_value(change, value)
            return readable_value(None, value)
        return readable_value(field, value)

    def stringify_delta_change_values(self, change, old, new):
        # Already readable strings; only shorten long texts and escape.
        old_short, new_short = self.get_obj_diff_display().common_shorten_repr(old, new)
        return conditional_escape(old_short), conditional_escape(new_short)


class ReadableHistoryAdmin(SimpleHistoryAdmin):
    object_history_list_template = "simple_history/readable_history_list.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableHistoryContextHelper(self.model, historical_record)

    def history_view_title(self, request, obj):
        return _("History of %(object)s") % {"object": obj}

    def history_form_view_title(self, request, obj):
        return _("Version of %(object)s") % {"object": obj}
