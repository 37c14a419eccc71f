"""Gaps of the record of processing that retention knows about (see consent/gaps.py)."""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from consent.gaps import register_gap


@register_gap("no_retention_rule", _("No retention rule"), order=40)
def no_retention_rule():
    """No rule covers the activity: none for it, none for one of its categories, and no
    organisation-wide default."""
    from .models import RetentionRule

    rules = RetentionRule.objects.filter(organisation_id=OuterRef("organisation_id"))
    return ~Exists(
        rules.filter(
            Q(activity_id=OuterRef("pk"))
            | Q(activity__isnull=True, category__activities=OuterRef("pk"))
            | Q(activity__isnull=True, category__isnull=True)
        )
    )
