"""Retention's column of the record of processing: the time limits for erasure (GDPR Art.
30(1)(f)), i.e. the rules that govern each activity's data."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consent.models import ProcessingActivity
from consent.reports import record_column

from .models import RetentionRule


def _describe(rule):
    text = _("%(period)s from %(event)s, then %(action)s") % {
        "period": rule.period_display(),
        "event": rule.get_trigger_display().lower(),
        "action": rule.get_end_action_display().lower(),
    }
    scope = f" ({rule.category.name})" if rule.category_id else ""
    reference = f" — {rule.legal_reference}" if rule.legal_reference else ""
    return f"{rule.name}{scope}: {text}{reference}"


@record_column(
    "retention_limits", gettext_lazy("Time limits for erasure"), after="security_measures"
)
def erasure_limits(activity_ids):
    """Rules for the activity itself, for one of its categories, or the organisation's default.
    Two queries whatever the number of activities."""
    links = ProcessingActivity.categories.through.objects.filter(
        processingactivity_id__in=activity_ids
    ).values_list("processingactivity_id", "datacategory_id")
    categories_of = {}
    for activity_id, category_id in links:
        categories_of.setdefault(activity_id, set()).add(category_id)
    organisation_ids = ProcessingActivity.objects.filter(pk__in=activity_ids).values(
        "organisation_id"
    )
    rules = list(
        RetentionRule.objects.filter(organisation_id__in=organisation_ids)
        .select_related("category")
        .order_by("name")
    )
    result = {}
    for activity_id in activity_ids:
        categories = categories_of.get(activity_id, set())
        applying = [
            rule
            for rule in rules
            if rule.activity_id == activity_id
            or (rule.activity_id is None and rule.category_id in categories)
            or (rule.activity_id is None and rule.category_id is None)
        ]
        result[activity_id] = "\n".join(_describe(rule) for rule in applying)
    return result
