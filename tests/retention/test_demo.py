"""The demo inventory gives the first sweep something to find: due records and held ones."""

import io

import pytest
from django.core.management import call_command

from dpo_portal.audit.models import AuditEvent
from retention import sweep
from retention.models import DisposalBatch, LegalHold, Record, RecordStatus, RetentionRule


@pytest.mark.django_db
def test_demo_data_is_swept_once_loaded_so_the_first_dashboard_is_true_and_loads_once(settings):
    settings.DEBUG = True  # as under `make run`: the command refuses a production database
    call_command("load_demo", subjects=60, stdout=io.StringIO())
    rules, records = RetentionRule.objects.count(), Record.objects.count()
    assert rules >= 10
    assert records > 100
    assert LegalHold.objects.filter(reference="MXM-2026/114").exists()
    assert {"allall", "qonshu"} == set(
        Record.objects.values_list("organisation__slug", flat=True).distinct()
    )

    # load_demo ends with a sweep: records past their date are already due, held ones on hold,
    # batched, and each organisation's sweep is on record for the dashboard.
    assert Record.objects.filter(status=RecordStatus.DUE).exists()
    assert Record.objects.filter(status=RecordStatus.ON_HOLD).exists()
    assert DisposalBatch.objects.count() >= 3
    assert AuditEvent.objects.filter(action="retention.sweep_finished").count() == 2
    assert sweep.sweep_inline()["due"] == 0  # nothing left for a second sweep to find
    call_command("load_demo", subjects=60, stdout=io.StringIO())
    assert (RetentionRule.objects.count(), Record.objects.count()) == (rules, records)
