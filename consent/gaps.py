"""Gaps of the record of processing: what a regulator would ask about an activity first.

Each gap is a code, a label and a *condition*: a boolean expression over ProcessingActivity that
is true when an activity has the gap. Conditions are Q objects on the activity's own columns or
Exists() subqueries, never joins over many-to-many relations, so that every list, filter and
count stays one query whatever the number of activities:

    from consent.gaps import register_gap

    @register_gap("no_retention_rule", _("No retention rule"), order=40)
    def no_retention_rule():
        return ~Exists(RetentionRule.objects.filter(activity=OuterRef("pk")))

An app to the right of consent (retention) registers its own gaps in its ``gaps.py``: the
registry discovers every installed app's ``gaps`` module on first use, so consent never imports
the apps built on it. The function is called each time a query is built, so it may import
models lazily.
"""

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from dpo_portal.register.models import Recipient, Sensitivity

from .models import BASES_NOT_ALLOWING_SPECIAL, BasisKind, ProcessingActivity

SPECIAL_SENSITIVITIES = [Sensitivity.SPECIAL, Sensitivity.BIOMETRIC]


@dataclass(frozen=True)
class Gap:
    code: str
    label: str
    condition: object  # a callable returning a Q or an Exists expression
    order: int = 100

    @property
    def annotation(self):
        """The name of the boolean annotation that ``annotate_gaps()`` adds."""
        return f"gap_{self.code}"

    def expression(self):
        condition = self.condition()
        if isinstance(condition, Q):
            return ExpressionWrapper(condition, output_field=BooleanField())
        return condition


_GAPS = {}
_discovered = False


def register_gap(code, label, order=100):
    """Decorator: register ``func()`` (returning the condition) as the gap ``code``."""

    def register(func):
        _GAPS[code] = Gap(code=code, label=label, condition=func, order=order)
        return func

    return register


def all_gaps():
    global _discovered
    if not _discovered:
        _discovered = True
        autodiscover_modules("gaps")
    return sorted(_GAPS.values(), key=lambda gap: (gap.order, gap.code))


def get_gap(code):
    return next((gap for gap in all_gaps() if gap.code == code), None)


def annotate_gaps(queryset):
    """One boolean annotation ``gap_<code>`` per gap; all computed in the same query."""
    return queryset.annotate(**{gap.annotation: gap.expression() for gap in all_gaps()})


def any_gap_condition():
    return reduce(or_, (Q(gap.expression()) for gap in all_gaps()), Q(pk__in=[]))


def filter_having_gaps(queryset, negate=False, code=None):
    if code is not None:
        gap = get_gap(code)
        condition = Q(gap.expression()) if gap else Q(pk__in=[])
    else:
        condition = any_gap_condition()
    return queryset.exclude(condition) if negate else queryset.filter(condition)


def gaps_of(activity):
    """The gaps of one activity: from its annotations when it came from ``annotate_gaps()``
    (lists), otherwise with one query."""
    gaps = all_gaps()
    if not all(hasattr(activity, gap.annotation) for gap in gaps):
        if activity.pk is None:
            return []
        activity = annotate_gaps(ProcessingActivity.objects.filter(pk=activity.pk)).get()
    return [gap for gap in gaps if getattr(activity, gap.annotation)]


# --- the gaps consent knows about -------------------------------------------------------------


@register_gap("no_legal_basis", _("No legal basis"), order=10)
def no_legal_basis():
    return Q(legal_basis__isnull=True)


@register_gap(
    "legitimate_interests_unassessed",
    _("Legitimate interests without a balancing assessment"),
    order=15,
)
def legitimate_interests_unassessed():
    # The form refuses this; imports and older rows may still carry it.
    return Q(legal_basis__kind=BasisKind.LEGITIMATE_INTERESTS, legitimate_interest_assessment="")


@register_gap(
    "special_category_basis",
    _("Special-category data on a basis that does not allow it"),
    order=20,
)
def special_category_basis():
    special = ProcessingActivity.categories.through.objects.filter(
        processingactivity_id=OuterRef("pk"),
        datacategory__sensitivity__in=SPECIAL_SENSITIVITIES,
    )
    return Q(legal_basis__kind__in=BASES_NOT_ALLOWING_SPECIAL) & Q(Exists(special))


@register_gap(
    "transfer_without_mechanism",
    _("Recipient abroad without a transfer mechanism"),
    order=30,
)
def transfer_without_mechanism():
    # The register decides what "abroad without a mechanism" means (a transfer abroad with no
    # mechanism, or a recipient based abroad with none to its own country).
    return Exists(Recipient.objects.abroad_without_mechanism().filter(activities=OuterRef("pk")))
