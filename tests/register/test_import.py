"""Importing data subjects through the admin: dry-run preview, then confirm.

A file with any bad row is refused whole, each bad row named with its number and reason; a good
file writes every row with history; nobody imports into an organisation they do not belong to.
"""

import pytest

from dpo_portal.jobs.models import Job
from dpo_portal.register.models import DataSubject, Organisation, Role
from tests.factories import make_organisation, make_subject_type, make_user
from tests.import_helpers import report, run_import
from tests.register.helpers import admin_url, log_in

HEADER = "organisation,external_ref,first_name,last_name,fin,phone,email,subject_type\n"


@pytest.fixture
def allall(db):
    organisation = make_organisation("allall", name="AllAll Finance")
    make_subject_type(organisation, "customer", name="Customer")
    return organisation


@pytest.fixture
def dpo(allall):
    return make_user(Role.DPO, allall, username="importing-dpo")


def upload(client, rows, name="subjects.csv", organisation=None):
    """Upload the file through the import page and run the job it queues; returns the job."""
    content = (HEADER + "".join(rows)).encode()
    organisation = organisation or Organisation.objects.get(slug="allall")
    return run_import(client, admin_url("datasubject", "import"), organisation, content, name)


def invalid_rows(job):
    """{row number in the file (the header is row 1): [reasons]} as the job reports them."""
    return {
        row: [reason for _column, _value, reason in errors] for row, errors in report(job).items()
    }


def test_a_file_with_bad_rows_is_refused_whole_naming_each_row(client, allall, dpo):
    rows = [
        "allall,AF-1,Aysel,Məmmədova,5ZK8R2T,+994501234567,aysel@example.az,customer\n",
        "allall,AF-2,Rəşad,Əliyev,5ZK8R2I,+994551234567,rashad@example.az,customer\n",  # I
        "allall,AF-3,Leyla,Quliyeva,7PL3M9X,+994701234567,leyla@example.az,guarantor\n",
        ",AF-4,Tural,Həsənov,2AB4C6D,+994771234567,tural@example.az,customer\n",
        "allall,AF-5,Nigar,Kərimova,3XY7Z8W,+994511234567,nigar@example.az,customer\n",
    ]

    log_in(client, dpo)
    job = upload(client, rows)

    assert job.status == Job.Status.FAILED
    assert job.message == "3 rows of the file must be fixed; nothing was imported."
    errors = report(job)
    assert sorted(errors) == [3, 4, 5]  # the header is row 1
    # Each reason under the column that holds the value; a person's identifier masked.
    assert [(c, v) for c, v, _r in errors[3]] == [("fin", "5•••••I")]
    assert "FIN has 7 characters" in errors[3][0][2]
    assert errors[4] == [
        ("subject_type", "guarantor", "Unknown subject type “guarantor” in this organisation.")
    ]
    assert errors[5][0][0] == "organisation" and "organisation is missing" in errors[5][0][2]
    # The job page lists them too.
    page = client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()
    assert "guarantor" in page and "FIN has 7 characters" in page
    assert DataSubject.objects.count() == 0


def test_a_good_file_writes_every_row_with_history_by_the_importer(client, allall, dpo):
    rows = [
        "allall,AF-1,Aysel,Məmmədova,5zk8r2t,050 123 45 67,Aysel@Example.az,customer\n",
        "allall,AF-2,Rəşad,Əliyev,6MN2P4Q,+994551234567,rashad@example.az,customer\n",
        "allall,AF-3,Leyla,Quliyeva,7PL3M9X,+994701234567,leyla@example.az,\n",
    ]
    log_in(client, dpo)

    job = upload(client, rows)

    assert job.status == Job.Status.DONE, job.message
    assert job.message == "3 rows imported: 3 new, 0 updated, 0 unchanged."
    subjects = DataSubject.objects.order_by("external_ref")
    assert [s.external_ref for s in subjects] == ["AF-1", "AF-2", "AF-3"]
    first = subjects[0]
    # Stored the way search finds them.
    assert (first.fin, first.phone, first.email) == ("5ZK8R2T", "+994501234567", "aysel@example.az")
    assert first.subject_type.code == "customer"
    history = DataSubject.history.filter(organisation=allall)
    assert history.count() == 3
    assert {h.history_user for h in history} == {dpo}
    assert {h.history_type for h in history} == {"+"}


def test_an_import_into_an_organisation_the_user_is_not_in_is_refused(client, allall, dpo):
    qonshu = make_organisation("qonshu", name="Qonshu app")
    make_subject_type(qonshu, "resident", name="Resident")
    rows = ["qonshu,QA-1,Aysel,Məmmədova,5ZK8R2T,+994501234567,aysel@example.az,resident\n"]

    log_in(client, dpo)
    job = upload(client, rows)

    errors = invalid_rows(job)
    assert list(errors) == [2]
    assert any("“qonshu”" in reason for reason in errors[2])
    assert DataSubject.objects.count() == 0


def test_an_auditor_cannot_open_the_import(client, allall):
    auditor = make_user(Role.AUDITOR, allall)

    response = log_in(client, auditor).get(admin_url("datasubject", "import"))

    assert response.status_code == 403


def test_an_import_into_an_organisation_where_the_user_only_reads_is_refused(client, allall, dpo):
    qonshu = make_organisation("qonshu", name="Qonshu app")
    make_user(Role.AUDITOR, qonshu)  # someone else
    dpo.memberships.create(organisation=qonshu, role=Role.AUDITOR)
    rows = [
        "allall,AF-1,Aysel,Məmmədova,5ZK8R2T,+994501234567,aysel@example.az,customer\n",
        "qonshu,QA-1,Rəşad,Əliyev,6MN2P4Q,+994551234567,rashad@example.az,\n",
    ]
    log_in(client, dpo)

    job = upload(client, rows)

    assert list(invalid_rows(job)) == [3]
    assert DataSubject.objects.count() == 0


def test_rows_without_a_reference_are_new_people_never_someone_else(client, allall, dpo):
    existing = DataSubject.objects.create(
        organisation=allall, first_name="Günel", last_name="Səfərova", fin="8KT3N5V"
    )
    rows = [
        "allall,,Aysel,Məmmədova,5ZK8R2T,+994501234567,aysel@example.az,customer\n",
        "allall, ,Rəşad,Əliyev,6MN2P4Q,+994551234567,rashad@example.az,customer\n",
    ]
    log_in(client, dpo)

    assert upload(client, rows).status == Job.Status.DONE

    existing.refresh_from_db()
    assert (existing.first_name, existing.fin) == ("Günel", "8KT3N5V")
    assert sorted(DataSubject.objects.values_list("last_name", flat=True)) == [
        "Məmmədova",
        "Səfərova",
        "Əliyev",
    ]


def test_spaces_around_codes_do_not_break_the_links(client, allall, dpo):
    rows = [" allall ,AF-1,Aysel,Məmmədova,5ZK8R2T,+994501234567,aysel@example.az, customer \n"]
    log_in(client, dpo)

    assert upload(client, rows).status == Job.Status.DONE

    assert DataSubject.objects.get(external_ref="AF-1").subject_type.code == "customer"
