"""Daily retention figures: one row per organisation × system × category per day.

Taken by a Celery beat task late every evening (settings.CELERY_BEAT_SCHEDULE), so the report draws
its trend from a few rows per day instead of the inventory's millions. The figures come from one
aggregate query (GROUP BY) and are upserted: a second run the same day overwrites that day's rows,
never duplicates them.
"""

from django.db import transaction
from django.utils import timezone

from .models import RetentionSnapshot
from .reports import FIGURES, day_bounds, record_figures

KEY = ("organisation", "taken_on", "system", "category")
# The report's figures, under the snapshot's field names: "disposed" is "disposed that day".
FIELDS = {name: "disposed_in_day" if name == "disposed" else name for name in FIGURES}


def take_snapshots(on=None):
    """Store the figures of day ``on`` (default today); returns the number of rows kept."""
    on = on or timezone.localdate()
    start, end = day_bounds(on)
    rows = [
        RetentionSnapshot(
            organisation_id=row["organisation_id"],
            system_id=row["system_id"],
            category_id=row["category_id"],
            taken_on=on,
            **{FIELDS[name]: row[name] for name in FIGURES},
        )
        for row in record_figures(on=on, disposed_from=start, disposed_to=end)
        # A system × category whose records were all disposed before that day has nothing to say.
        if any(row[name] for name in FIGURES)
    ]
    with transaction.atomic():
        kept = RetentionSnapshot.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=KEY,
            update_fields=[*FIELDS.values(), "updated_at"],
        )
        # A combination that had records at an earlier run today and has none now.
        RetentionSnapshot.objects.filter(taken_on=on).exclude(
            pk__in=[row.pk for row in kept]
        ).delete()
    return len(kept)
