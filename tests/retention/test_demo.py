"""The demo inventory gives the first sweep something to find: due records and held ones."""

import io

import pytest
from django.core.management import call_command

from retention import sweep
from retention.models import DisposalBatch, LegalHold, Record, RetentionRule


@pytest.mark.django_db
def test_demo_data_lets_the_first_sweep_find_due_and_held_records_and_loads_once(settings):
    settings.DEBUG = True  # as under `make run`: the command refuses a production database
    call_command("load_demo", subjects=60, stdout=io.StringIO())
    rules, records = RetentionRule.objects.count(), Record.objects.count()
    assert rules >= 10
    assert records > 100
    assert LegalHold.objects.filter(reference="MXM-2026/114").exists()
    assert {"allall", "qonshu"} == set(
        Record.objects.values_list("organisation__slug", flat=True).distinct()
    )

    totals = sweep.sweep_inline()

    assert totals["due"] > 0
    assert totals["on_hold"] > 0
    assert DisposalBatch.objects.count() >= 3
    call_command("load_demo", subjects=60, stdout=io.StringIO())
    assert (RetentionRule.objects.count(), Record.objects.count()) == (rules, records)
