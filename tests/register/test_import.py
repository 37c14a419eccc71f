"""Importing data subjects through the admin: dry-run preview, then confirm.

A file with any bad row is refused whole, each bad row named with its number and reason; a good
file writes every row with history; nobody imports into an organisation they do not belong to.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dpo_portal.register.models import DataSubject, Role
from tests.factories import make_organisation, make_subject_type, make_user
from tests.register.helpers import admin_url, log_in

HEADER = "organisation,external_ref,first_name,last_name,fin,phone,email,subject_type\n"
CSV_FORMAT = "0"  # import formats: CSV, XLSX, JSON


@pytest.fixture
def allall(db):
    organisation = make_organisation("allall", name="AllAll Finance")
    make_subject_type(organisation, "customer", name="Customer")
    return organisation


@pytest.fixture
def dpo(allall):
    return make_user(Role.DPO, allall, username="importing-dpo")


def upload(client, rows, name="subjects.csv"):
    """The first step: upload the file and get the dry-run preview."""
    content = (HEADER + "".join(rows)).encode()
    return client.post(
        admin_url("datasubject", "import"),
        {
            "resource": "0",
            "format": CSV_FORMAT,
            "import_file": SimpleUploadedFile(name, content, content_type="text/csv"),
        },
    )


def confirm(client, preview):
    """The second step: confirm the previewed file, as the button on the preview page does."""
    form = preview.context["confirm_form"]
    return client.post(admin_url("datasubject", "process_import"), form.initial)


def invalid_rows(preview):
    """{row number: [reasons]} as the preview shows them."""
    return {
        row.number: [str(error) for errors in row.error_dict.values() for error in errors]
        for row in preview.context["result"].invalid_rows
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
    preview = upload(client, rows)

    assert preview.status_code == 200
    errors = invalid_rows(preview)
    assert sorted(errors) == [2, 3, 4]
    assert any("FIN has 7 characters" in reason for reason in errors[2])
    assert any("Unknown subject type “guarantor”" in reason for reason in errors[3])
    assert any("organisation is missing" in reason for reason in errors[4])
    # The page itself names them, and offers no confirmation.
    assert "guarantor" in preview.text and "FIN has 7 characters" in preview.text
    assert "confirm_form" not in preview.context
    assert DataSubject.objects.count() == 0


def test_a_good_file_writes_every_row_with_history_by_the_importer(client, allall, dpo):
    rows = [
        "allall,AF-1,Aysel,Məmmədova,5zk8r2t,050 123 45 67,Aysel@Example.az,customer\n",
        "allall,AF-2,Rəşad,Əliyev,6MN2P4Q,+994551234567,rashad@example.az,customer\n",
        "allall,AF-3,Leyla,Quliyeva,7PL3M9X,+994701234567,leyla@example.az,\n",
    ]
    log_in(client, dpo)

    preview = upload(client, rows)
    assert preview.status_code == 200
    assert DataSubject.objects.count() == 0  # the preview writes nothing
    done = confirm(client, preview)

    assert done.status_code == 302
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
    preview = upload(client, rows)

    errors = invalid_rows(preview)
    assert list(errors) == [1]
    assert any("“qonshu”" in reason for reason in errors[1])
    assert "confirm_form" not in preview.context
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

    preview = upload(client, rows)

    assert list(invalid_rows(preview)) == [2]
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

    confirm(client, upload(client, rows))

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

    confirm(client, upload(client, rows))

    assert DataSubject.objects.get(external_ref="AF-1").subject_type.code == "customer"
