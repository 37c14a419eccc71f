"""Disposal certificates: gap-free numbers per organisation and year (also under concurrent
approvals), the rule and its legal reference, the truthful action, the record id range and a
checksum anyone can recompute; the whole batch reviewed, exported and records excluded."""

import csv
import datetime
import hashlib
import io
import subprocess
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from dpo_portal.register.models import Role
from retention import services, sweep
from retention.models import (
    BatchExclusion,
    BatchStatus,
    DisposalBatch,
    EndAction,
    LegalHold,
    Record,
    RecordStatus,
)
from tests.factories import make_system, make_user
from tests.retention.helpers import make_record, make_rule, retention_world

TODAY = datetime.date(2026, 11, 22)
YEAR = timezone.localdate().year


def pdf_text(pdf):
    return subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def batches_in(organisation, category, rule, count, records=2):
    for _ in range(count):
        system = make_system(organisation)
        for _ in range(records):
            make_record(organisation, system=system, category=category, rule=rule)
    sweep.sweep_inline(today=TODAY)
    return list(DisposalBatch.objects.filter(organisation=organisation).order_by("pk"))


@pytest.mark.django_db
def test_numbers_have_no_gaps_per_organisation_and_year():
    organisation, _system, category, rule = retention_world()
    other, _s, other_category, other_rule = retention_world()
    dpo = make_user(Role.DPO, organisation, other)
    mine = batches_in(organisation, category, rule, 3)
    theirs = batches_in(other, other_category, other_rule, 1)

    services.reject_batch(mine[0], actor=dpo, justification="Kept for the audit")
    numbers = [services.approve_batch(b, actor=dpo).certificate_number for b in mine[1:]]
    assert numbers == [f"DC-{YEAR}-000001", f"DC-{YEAR}-000002"]
    assert services.approve_batch(theirs[0], actor=dpo).certificate_number == f"DC-{YEAR}-000001"


@pytest.mark.django_db(transaction=True)
def test_numbers_have_no_gaps_under_concurrent_approvals():
    """Six DPO sessions approve six batches at once, each thread on its own connection."""
    organisation, _system, category, rule = retention_world()
    dpo = make_user(Role.DPO, organisation)
    batches = batches_in(organisation, category, rule, 6)
    start, errors = threading.Barrier(len(batches)), []

    def approve(batch):
        try:
            start.wait()
            services.approve_batch(batch, actor=dpo)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    numbers = sorted(DisposalBatch.objects.values_list("certificate_number", flat=True))
    assert numbers == [f"DC-{YEAR}-{n:06d}" for n in range(1, 7)]


@pytest.fixture
def approved(db, client):
    organisation, system, category, _rule = retention_world()
    rule = make_rule(
        organisation,
        category=category,
        end_action=EndAction.ANONYMISE,
        legal_reference="AML/CFT law art. 12: 5 years",
        period=1,
    )
    for _ in range(5):
        make_record(organisation, system=system, category=category, rule=rule)
    sweep.sweep_inline(today=TODAY)
    batch = DisposalBatch.objects.get(rule=rule)
    dpo = make_user(Role.DPO, organisation, first_name="Leyla", last_name="Həsənova")
    excluded = batch.records.order_by("pk").first()
    services.exclude_records(
        batch,
        [excluded.pk],
        actor=dpo,
        reason="Pending court claim 2-1234/2026",
        until=TODAY.replace(year=TODAY.year + 1),
    )
    batch = services.approve_batch(batch, actor=dpo)
    client.force_login(make_user(Role.AUDITOR, organisation))
    return batch, excluded


def test_the_checksum_recomputed_from_the_disposed_ids_matches(approved):
    batch, excluded = approved
    ids = sorted(
        Record.objects.filter(status=RecordStatus.DISPOSED, disposal_batch=batch).values_list(
            "pk", flat=True
        )
    )
    assert len(ids) == 4 and excluded.pk not in ids
    recomputed = hashlib.sha256("".join(f"{pk}\n" for pk in ids).encode()).hexdigest()
    assert batch.disposed_ids_sha256 == recomputed
    assert (batch.first_record_id, batch.last_record_id) == (ids[0], ids[-1])


def test_the_certificate_pdf_reads_back_with_everything_a_regulator_needs(client, approved):
    batch, _excluded = approved
    response = client.get(reverse("admin:retention_disposalbatch_certificate_pdf", args=[batch.pk]))
    assert response["Content-Type"] == "application/pdf"
    # Table cells wrap in the PDF: compare without any whitespace.
    text = "".join(pdf_text(response.content).split())
    for expected in (
        batch.certificate_number,
        "Leyla Həsənova",
        "AML/CFT law art. 12: 5 years",
        "4 records anonymised",
        "Records excluded before approval 1",
        f"{batch.first_record_id} – {batch.last_record_id}",
        batch.disposed_ids_sha256,
        batch.system.name,
        batch.category.name,
    ):
        assert "".join(expected.split()) in text, expected
    assert "destroyed" not in text


def test_an_excluded_record_is_held_until_its_date_and_listed_with_its_reason(client, approved):
    batch, excluded = approved
    excluded.refresh_from_db()
    assert excluded.status == RecordStatus.ON_HOLD and excluded.disposal_batch is None
    hold = LegalHold.objects.get(record=excluded)
    assert hold.until == TODAY.replace(year=TODAY.year + 1)
    assert BatchExclusion.objects.get(batch=batch).hold == hold
    page = client.get(reverse("admin:retention_disposalbatch_change", args=[batch.pk]))
    assert "Pending court claim 2-1234/2026" in page.content.decode()


@pytest.mark.django_db
def test_the_whole_batch_is_paged_filtered_and_exported(client):
    organisation, system, category, rule = retention_world()
    for _ in range(130):
        make_record(organisation, system=system, category=category, rule=rule)
    sweep.sweep_inline(today=TODAY)
    batch = DisposalBatch.objects.get()
    client.force_login(make_user(Role.DPO, organisation))
    url = reverse("admin:retention_disposalbatch_change", args=[batch.pk])

    first = client.get(url).content.decode()
    assert "130 records in this list" in first and "Page 1 of 2" in first
    last_id = batch.records.order_by("pk").last().pk
    assert f"<td>{last_id}</td>" in client.get(url, {"page": 2}).content.decode()
    one = batch.records.order_by("pk")[57]
    filtered = client.get(url, {"q": one.external_id}).content.decode()
    assert "1 record in this list" in filtered

    export = client.get(
        reverse("admin:retention_disposalbatch_records", args=[batch.pk]), {"format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert len(rows) == 131 and rows[1][0] == str(batch.records.order_by("pk").first().pk)


@pytest.mark.django_db
def test_excluding_through_the_batch_page_needs_a_reason_and_keeps_the_records(client):
    organisation, system, category, rule = retention_world()
    for _ in range(3):
        make_record(organisation, system=system, category=category, rule=rule)
    sweep.sweep_inline(today=TODAY)
    batch = DisposalBatch.objects.get()
    client.force_login(make_user(Role.DPO, organisation))
    exclude = reverse("admin:retention_disposalbatch_exclude", args=[batch.pk])
    record = batch.records.first()

    page = client.post(exclude, {"record": [record.pk], "kind": "hold"}, follow=True)
    assert "This field is required" in page.content.decode()
    assert DisposalBatch.objects.get().record_count == 3

    page = client.post(
        exclude, {"record": [record.pk], "kind": "hold", "reason": "Regulator's order"}, follow=True
    )
    assert "1 record excluded from the batch." in page.content.decode()
    assert DisposalBatch.objects.get().record_count == 2
    assert LegalHold.objects.get(record=record).until is None
    batch = services.approve_batch(batch, actor=make_user(Role.DPO, organisation))
    assert batch.status == BatchStatus.APPROVED and batch.disposed_count == 2
    record.refresh_from_db()
    assert record.status == RecordStatus.ON_HOLD
