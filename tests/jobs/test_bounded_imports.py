"""Every import is read bounded and its file recognised before a parser sees it: the limits,
encodings, delimiters and damaged files each answer with a sentence saying what was found."""

import io
import resource
import zipfile

import pytest
from django.test import override_settings
from openpyxl import Workbook

from dpo_portal.jobs.imports import ImportRefused, read_table
from dpo_portal.jobs.models import Job
from dpo_portal.register.models import Role
from retention.imports import COLUMNS
from retention.models import Record
from tests.factories import make_subject, make_user
from tests.import_helpers import post_file, report, run_import
from tests.register.helpers import log_in
from tests.retention.helpers import retention_world

HEADER = ["organisation", "subject_ref", "system", "category", "external_id", "collected_at"]
IMPORT_URL = "/admin/retention/record/import/"
MEMORY_BOUND_KB = 150 * 1024  # generous: parsing a bomb would cost gigabytes


def peak_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def csv_bytes(rows, delimiter=",", encoding="utf-8"):
    lines = [delimiter.join(HEADER)] + [delimiter.join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.fixture
def world(db):
    organisation, system, category, rule = retention_world("acme")
    subject = make_subject(organisation, external_ref="AF-1")
    dpo = make_user(Role.DPO, organisation)
    return organisation, subject, dpo


def row(ref="AF-1", external_id="T-1", collected="2020-01-31"):
    return ["acme", ref, "core", "txn", external_id, collected]


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [
        (",", "utf-8"),
        (";", "utf-8"),
        ("\t", "utf-8"),
        (";", "utf-8-sig"),
        (",", "utf-16"),  # with its byte-order mark, as Excel's "Unicode text" writes it
        (";", "utf-16-le"),  # without one
        (";", "cp1251"),
    ],
)
def test_each_delimiter_and_encoding_is_read(client, world, delimiter, encoding):
    organisation, _subject, dpo = world
    log_in(client, dpo)
    rows = [row(), row(external_id="Т-2 Иванов")]  # Cyrillic, as a 1251 export carries

    job = run_import(client, IMPORT_URL, organisation, csv_bytes(rows, delimiter, encoding))

    assert job.status == Job.Status.DONE, job.message
    assert sorted(Record.objects.values_list("external_id", flat=True)) == ["T-1", "Т-2 Иванов"]


def test_an_encoding_that_is_not_read_is_refused_naming_what_is_tried(client, world):
    organisation, _subject, dpo = world
    log_in(client, dpo)
    # Turkish Windows: its letters would decode as Cyrillic, but as isolated ones, not words.
    content = csv_bytes([row(external_id="Ş-1"), row(external_id="Çİ-2")], ";", "cp1254")

    job = run_import(client, IMPORT_URL, organisation, content)

    assert job.status == Job.Status.FAILED
    assert "UTF-8, UTF-16, Windows-1251" in job.message and "CSV UTF-8" in job.message
    assert Record.objects.count() == 0


def test_a_file_without_its_header_row_is_a_sentence_not_a_traceback(client, world):
    organisation, _subject, dpo = world
    log_in(client, dpo)
    content = b"acme,AF-1,core,txn,T-1,2020-01-31\r\n"

    job = run_import(client, IMPORT_URL, organisation, content)

    assert job.status == Job.Status.FAILED
    assert job.message.startswith("The first row is not a header row")
    assert "Traceback" not in job.message and "/" not in job.message.split("(")[0]


def test_a_subject_import_without_a_header_is_refused_with_the_same_sentence(client, world):
    organisation, _subject, dpo = world
    log_in(client, dpo)
    content = b"acme,AF-9,Aysel,Mammadova,5ZK8R2T,,,\r\n"

    job = run_import(client, "/admin/register/datasubject/import/", organisation, content)

    assert job.status == Job.Status.FAILED
    assert job.message.startswith("The first row is not a header row")


def test_a_corrupt_xlsx_is_refused_with_a_sentence(client, world):
    organisation, _subject, dpo = world
    log_in(client, dpo)

    job = run_import(client, IMPORT_URL, organisation, b"PK\x03\x04 cut short", "records.xlsx")

    assert job.status == Job.Status.FAILED
    assert job.message.startswith("The file is not a readable XLSX workbook")
    assert "BadZipFile" not in job.message


def test_a_zip_bomb_is_refused_from_its_directory_without_being_inflated(world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b"<row>" + b" " * (1024 * 1024 - 11) + b"</row>"
            for _ in range(512):  # 512 MB of sheet in well under 1 MB of file
                sheet.write(block)
    content = buffer.getvalue()
    assert len(content) < 2 * 1024 * 1024
    before = peak_kb()

    with pytest.raises(ImportRefused, match=r"would unpack to 512.0\xa0MB.*without being opened"):
        read_table(content, "bomb.xlsx", expected=COLUMNS)

    assert peak_kb() - before < MEMORY_BOUND_KB


def test_an_oversized_file_is_refused_by_the_form_before_any_job(client, world):
    organisation, _subject, dpo = world
    log_in(client, dpo)
    content = csv_bytes([row(external_id=f"T-{n}") for n in range(60_000)])
    assert len(content) > 2 * 1024 * 1024
    before = peak_kb()

    with override_settings(IMPORT_MAX_FILE_BYTES=1024 * 1024):
        response = post_file(client, IMPORT_URL, organisation, content)

    assert response.status_code == 200
    assert "an import may have at most 1.0\xa0MB" in response.content.decode()
    assert not Job.objects.exists()
    assert peak_kb() - before < MEMORY_BOUND_KB


def test_a_ten_megabyte_cell_is_refused_before_it_is_built(client, world):
    organisation, _subject, dpo = world
    log_in(client, dpo)
    content = csv_bytes([row(), row(external_id="X" * 10 * 1024 * 1024)])
    before = peak_kb()

    job = run_import(client, IMPORT_URL, organisation, content)

    assert job.status == Job.Status.FAILED
    assert "longer than 2 000 characters" in job.message and "Row 3" in job.message
    assert peak_kb() - before < MEMORY_BOUND_KB
    assert Record.objects.count() == 0


def test_a_long_cell_in_an_xlsx_is_refused_naming_its_row_and_column(world):
    workbook = Workbook()
    workbook.active.append(HEADER)
    workbook.active.append(row(external_id="X" * 5000))
    buffer = io.BytesIO()
    workbook.save(buffer)

    with pytest.raises(ImportRefused, match="Row 2, column “external_id”"):
        read_table(buffer.getvalue(), "records.xlsx", expected=COLUMNS)


def test_too_many_rows_are_refused_naming_the_limit(world):
    content = csv_bytes([row(external_id=f"T-{n}") for n in range(11)])

    with override_settings(IMPORT_MAX_ROWS=10):
        with pytest.raises(ImportRefused, match="more than 10 rows"):
            read_table(content, "records.csv", expected=COLUMNS)


def test_the_form_states_the_limits(client, world):
    _organisation, _subject, dpo = world
    page = log_in(client, dpo).get(IMPORT_URL).content.decode()

    assert "at most 50.0\xa0MB" in page and "2 000 characters in a cell" in page


def test_a_2030_collection_date_and_a_bad_fin_are_refused_under_their_columns(client, world):
    organisation, _subject, dpo = world
    log_in(client, dpo)
    content = (
        b"organisation,subject_ref,subject_fin,system,category,external_id,collected_at\r\n"
        b"acme,AF-1,,core,txn,T-1,2030-01-01\r\n"
        b"acme,,5ZK8R2I,core,txn,T-2,2020-01-01\r\n"
        b"acme,,5ZK8R2T,core,txn,T-3,2020-01-01\r\n"
    )

    job = run_import(client, IMPORT_URL, organisation, content)

    errors = report(job)
    assert errors[2] == [
        ("collected_at", "2030-01-01", "A date in the future: the event has not happened yet.")
    ]
    assert errors[3][0][:2] == ("subject_fin", "5•••••I")
    assert errors[4] == [("subject_fin", "5•••••T", "No such person in this organisation.")]
    assert Record.objects.count() == 0
