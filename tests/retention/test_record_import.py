"""Record import: all or nothing with a row-error report; a re-import updates; erased people are
refused."""

import datetime
import io

import pytest
from openpyxl import Workbook

from dpo_portal.jobs.models import Job, start_job
from dpo_portal.jobs.tasks import run_job
from dpo_portal.register.models import Role
from dpo_portal.register.services import erase_subject
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
