"""Record import: all or nothing with a row-error report; a re-import updates; erased people are
refused."""

import datetime
import io

import pytest
from openpyxl import Workbook

from dpo_portal.jobs.imports import mask
from dpo_portal.jobs.models import Job, start_job
from dpo_portal.jobs.tasks import run_job
from dpo_portal.register.models import Role
from dpo_portal.register.services import erase_subject
from retention.imports import Importer
from retention.models import Record
from tests.factories import make_subject, make_user

from .helpers import make_activity, retention_world

HEADER = (
    "organisation,subject_ref,subject_fin,system,category,activity,external_id,"
    "collected_at,clock_start"
)


def _csv(*rows):
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def _run(organisation, user, content, filename="records.csv"):
    """Start the job as the admin page does, and run it as the worker would."""
    job = start_job(
        "retention.import_records",
        organisation=organisation,
        actor=user,
        parameters={"filename": filename},
        payload=content,
    )
    run_job(job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture(autouse=True, params=["in SQL", "in Python"])
def build_path(request, monkeypatch):
    """Every test on both ways of checking a file: set-based in PostgreSQL (COPY into a
    temporary table) and row by row in Python (SQLite, the embedded default)."""
    if request.param == "in Python":
        monkeypatch.setattr(
            Importer, "build", lambda self, rows, progress=None: self._build_in_python(rows)
        )


@pytest.fixture
def world():
    organisation, system, category, rule = retention_world("acme")
    subjects = [make_subject(organisation) for _ in range(3)]
    dpo = make_user(Role.DPO, organisation)
    return organisation, system, category, rule, subjects, dpo


@pytest.mark.django_db
def test_a_good_file_imports_and_a_reimport_updates_instead_of_duplicating(world):
    organisation, _system, _category, rule, (a, b, c), dpo = world
    activity = make_activity(organisation, code="loans", basis_kind=None)
    content = _csv(
        f"acme,{a.external_ref},,core,txn,loans,T-1,2020-01-31,",
        f"acme,,{b.fin},core,txn,,T-2,31.01.2020,",
        f",{c.external_ref},,core,txn,,T-3,2019-05-05,2021-01-01",
    )

    job = _run(organisation, dpo, content)

    assert job.status == Job.Status.DONE
    records = {r.external_id: r for r in Record.objects.all()}
    assert set(records) == {"T-1", "T-2", "T-3"}
    assert records["T-1"].subject == a and records["T-1"].activity == activity
    assert records["T-2"].subject == b
    assert records["T-1"].rule == rule
    assert records["T-1"].expires_on == datetime.date(2025, 1, 31)

    again = _run(organisation, dpo, _csv(f"acme,{a.external_ref},,core,txn,,T-1,2021-02-28,"))

    assert again.status == Job.Status.DONE
    assert Record.objects.count() == 3
    updated = Record.objects.get(external_id="T-1")
    assert (updated.collected_at, updated.activity, updated.expires_on) == (
        datetime.date(2021, 2, 28),
        None,
        datetime.date(2026, 2, 28),
    )


@pytest.mark.django_db
def test_bad_rows_write_nothing_and_the_report_names_rows_not_people(world):
    organisation, _system, _category, _rule, (a, b, c), dpo = world
    erased_ref = c.external_ref
    erase_subject(c, actor=dpo, reason="request")
    content = _csv(
        f"acme,{a.external_ref},,core,txn,,T-1,2020-01-31,",  # fine
        f"acme,{b.external_ref},,nosuch,txn,,T-2,2020-01-31,",  # unknown system
        f"acme,{erased_ref},,core,txn,,T-3,2020-01-31,",  # erased person
        f"acme,{a.external_ref},,core,txn,,T-4,someday,",  # bad date
        f"acme,{a.external_ref},,core,txn,,T-1,2020-01-31,",  # same record twice
        "acme,NOBODY,,core,txn,,T-5,2020-01-31,",  # unknown person
    )

    job = _run(organisation, dpo, content)

    assert job.status == Job.Status.FAILED
    assert Record.objects.count() == 0
    report = bytes(job.result).decode("utf-8-sig")
    lines = report.strip().splitlines()
    assert lines[0] == "row,column,value,reason"
    rows = {int(line.split(",")[0]): line for line in lines[1:]}
    assert set(rows) == {3, 4, 5, 6, 7}
    assert "system" in rows[3]
    assert "erased" in rows[4]
    assert "collected_at" in rows[5]
    assert "row 2" in rows[6]
    for person in (a, b):
        assert person.external_ref not in report
        assert person.fin not in report
    assert erased_ref not in report and "NOBODY" not in report
    assert job.payload is None  # the uploaded file does not outlive the job


@pytest.mark.django_db
def test_an_xlsx_file_imports_too(world):
    organisation, _system, _category, _rule, (a, _b, _c), dpo = world
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(
        [
            "acme",
            a.external_ref,
            None,
            "core",
            "txn",
            None,
            1001,
            datetime.datetime(2020, 2, 29),
            None,
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)

    job = _run(organisation, dpo, buffer.getvalue(), filename="records.xlsx")

    assert job.status == Job.Status.DONE
    record = Record.objects.get()
    assert (record.external_id, record.expires_on) == ("1001", datetime.date(2025, 2, 28))


def _rows(*lines):
    header = HEADER.split(",")
    return [
        (number, dict(zip(header, line.split(","), strict=True)))
        for number, line in enumerate(lines, start=2)
    ]


@pytest.mark.django_db
def test_every_refusal_is_reported_under_its_column_with_its_reason(world):
    """The report the import gives, row by row, on PostgreSQL (COPY and SQL) and on SQLite
    (Python) alike: one reason per row, the first that fails, and a duplicate names the first
    good row with its key (a bad row with that key does not count)."""
    organisation, _system, _category, _rule, (a, b, c), dpo = world
    make_activity(organisation, code="loans", basis_kind=None)
    erased_fin = c.fin
    erase_subject(c, actor=dpo, reason="request")
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    importer = Importer(organisation)

    importer.build(
        _rows(
            f"other,{a.external_ref},,core,txn,,T-1,2020-01-31,",  # 2 another organisation
            ",,,core,txn,,T-1,2020-01-31,",  # 3 nobody named
            ",,12345I7,core,txn,,T-1,2020-01-31,",  # 4 not a FIN
            ",NOBODY,,nosuch,txn,,T-1,2020-01-31,",  # 5 unknown person before unknown code
            f",,{erased_fin},core,txn,,T-1,2020-01-31,",  # 6 on the suppression list by FIN
            f",{a.external_ref},,nosuch,txn,,T-1,2020-01-31,",  # 7 unknown system
            f",{a.external_ref},,core,nosuch,,T-1,2020-01-31,",  # 8 unknown category
            f",{a.external_ref},,core,txn,nosuch,T-1,2020-01-31,",  # 9 unknown activity
            f",{a.external_ref},,core,txn,,,2020-01-31,",  # 10 no external id
            f",{a.external_ref},,core,txn,,T-1,{future},",  # 11 collected in the future
            f",{a.external_ref},,core,txn,,T-1,2020-01-31,2019-01-01",  # 12 clock too early
            f",{a.external_ref},,core,txn,,T-1,2020-01-31,",  # 13 good: the first T-1
            f",NOBODY,{b.fin},core,txn,loans,T-1,2021-01-31,",  # 14 same key as row 13
            f",,{b.fin.lower()},core,txn,,T-2,2020-01-31,",  # 15 good, by FIN
        )
    )

    assert [(row, column, reason) for row, column, _value, reason in importer.errors] == [
        (2, "organisation", "Another organisation than the import's."),
        (3, "subject_ref", "Give the person's reference or FIN."),
        (4, "subject_fin", "A FIN has 7 characters: digits and letters except I and O."),
        (5, "subject_ref", "No such person in this organisation."),
        (6, "subject_fin", "This person's data was erased (suppression list): refused."),
        (7, "system", "Unknown code in this organisation."),
        (8, "category", "Unknown code in this organisation."),
        (9, "activity", "Unknown code in this organisation."),
        (10, "external_id", "The record's id in its system is required."),
        (11, "collected_at", "A date in the future: the event has not happened yet."),
        (12, "clock_start", "The clock cannot start before collection."),
        (14, "external_id", "The same record appears in row 13."),
    ]
    assert [value for row, _column, value, _reason in importer.errors if row == 7] == ["nosuch"]
    assert Record.objects.count() == 0


@pytest.mark.django_db
def test_the_written_records_carry_person_codes_rule_and_expiry(world):
    organisation, system, category, rule, (a, b, _c), _dpo = world
    activity = make_activity(organisation, code="loans", basis_kind=None)
    existing = Record.objects.create(
        organisation=organisation,
        subject=a,
        system=system,
        category=category,
        external_id="T-1",
        collected_at=datetime.date(2010, 1, 1),
        status="due",
    )
    importer = Importer(organisation)
    records = importer.build(
        _rows(
            f"acme,{a.external_ref},,core,txn,loans,T-1,2020-01-31,",  # updates the record above
            f",NOBODY,{b.fin},core,txn,,T-2,31.01.2020,2021-03-01",  # by FIN, the ref unknown
        )
    )
    assert importer.errors == []

    assert importer.write(records) == 2

    rows = sorted(
        Record.objects.values_list(
            "pk",
            "subject_id",
            "system_id",
            "category_id",
            "activity_id",
            "external_id",
            "collected_at",
            "clock_started_at",
            "rule_id",
            "expires_on",
            "status",
            "disposal_action",
        ),
        key=lambda row: row[5],
    )
    assert rows == [
        (
            existing.pk,
            a.pk,
            system.pk,
            category.pk,
            activity.pk,
            "T-1",
            datetime.date(2020, 1, 31),
            None,
            rule.pk,
            datetime.date(2025, 1, 31),
            "due",  # an update changes what the file says, not the record's state
            "",
        ),
        (
            rows[1][0],
            b.pk,
            system.pk,
            category.pk,
            None,
            "T-2",
            datetime.date(2020, 1, 31),
            datetime.date(2021, 3, 1),
            rule.pk,
            datetime.date(2025, 1, 31),
            "active",
            "",
        ),
    ]
    assert Record.objects.get(external_id="T-1").created_at == existing.created_at


@pytest.mark.django_db
def test_a_fin_two_people_share_is_refused_and_the_reference_still_finds_the_person(world):
    """Two register entries with one FIN (a duplicate entered by mistake): a row naming only the
    FIN is refused under its column, never given to one of them; a row with the reference is
    the person it names."""
    organisation, _system, _category, _rule, (a, _b, _c), dpo = world
    make_subject(organisation, fin=a.fin)
    content = _csv(
        f"acme,{a.external_ref},{a.fin},core,txn,,T-1,2020-01-31,",
        f"acme,,{a.fin},core,txn,,T-2,2020-01-31,",
    )

    job = _run(organisation, dpo, content)

    assert job.status == Job.Status.FAILED
    assert Record.objects.count() == 0
    lines = bytes(job.result).decode("utf-8-sig").strip().splitlines()
    assert lines[1:] == [
        f"3,subject_fin,{mask(a.fin)},More than one person in the register has this FIN: give"
        " the person's reference."
    ]

    fixed = _run(
        organisation, dpo, _csv(f"acme,{a.external_ref},{a.fin},core,txn,,T-1,2020-01-31,")
    )

    assert fixed.status == Job.Status.DONE
    assert Record.objects.get().subject == a
