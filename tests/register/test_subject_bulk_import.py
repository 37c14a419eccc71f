"""The data-subject import's bulk path gives what django-import-export's row-by-row import of the
same resource gives: the same report for a file with every kind of bad row, and for a good file
the same people, updates, unchanged rows and history rows."""

import pytest

from dpo_portal.jobs.models import Job, start_job
from dpo_portal.jobs.tasks import run_job
from dpo_portal.register.models import DataSubject, Role
from dpo_portal.register.resources import DataSubjectResource
from dpo_portal.register.services import erase_subject
from tests.factories import make_organisation, make_subject, make_subject_type, make_user
from tests.import_helpers import report

COLUMNS = (
    "organisation,external_ref,first_name,last_name,patronymic,birth_date,fin,"
    "id_document_number,phone,email,address,subject_type"
)
COMPARED = ("external_ref", *DataSubject.PERSONAL_FIELDS[1:], "subject_type__code")


class RowByRowSubjectResource(DataSubjectResource):
    """The resource without its bulk path: django-import-export's own import_data()."""

    bulk_rows = None


def _import(organisation, user, lines, resource):
    content = ("\n".join([COLUMNS, *lines]) + "\n").encode()
    job = start_job(
        "jobs.import_rows",
        organisation=organisation,
        actor=user,
        parameters={
            "resource": f"{resource.__module__}.{resource.__qualname__}",
            "filename": "s.csv",
        },
        payload=content,
    )
    run_job(job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def twins(db):
    """Two organisations alike (so each path imports into its own), a DPO in both, one person
    already in each, and one erased person (on the suppression list) in each."""
    made = []
    for slug in ("bulk", "rows"):
        organisation = make_organisation(slug)
        make_subject_type(organisation, "customer", name="Customer")
        made.append(organisation)
    dpo = make_user(Role.DPO, *made)
    for organisation in made:
        make_subject(
            organisation,
            external_ref="AF-1",
            fin="5ZK8R2T",
            phone="+994501234567",
            email="aysel@example.az",
            first_name="Aysel",
            last_name="Məmmədova",
        )
        make_subject(
            organisation,
            external_ref="AF-2",
            fin="6MN2P4Q",
            phone="+994551234567",
            email="rashad@example.az",
            first_name="Rəşad",
            last_name="Əliyev",
        )
        erase_subject(
            make_subject(organisation, fin="2AB4C6D", email="gone@example.az"),
            actor=dpo,
            reason="request",
        )
    return made, dpo


def _lines(slug, lines):
    return [line.replace("{org}", slug) for line in lines]


BAD = [
    "{org},AF-10,Aysel,Məmmədova,,,5ZK8R2I,,+994501234567,a@example.az,,customer",  # FIN with I
    "{org},AF-11,Leyla,Quliyeva,,,7PL3M9X,,+994701234567,l@example.az,,guarantor",  # type
    ",AF-12,Tural,Həsənov,,,2AB4C6E,,+994771234567,t@example.az,,customer",  # no organisation
    "nowhere,AF-13,Nigar,Kərimova,,,3XY7Z8W,,,n@example.az,,",  # not an organisation of hers
    "{org},AF-14,Elvin,Hüseynov,,31/02/1990,4QW8E2R,,,e@example.az,,",  # not a date
    "{org},AF-15,Günay,Rzayeva,,,4QW8E3R,XYZ123,,g@example.az,,",  # not an identity document
    "{org},AF-16,Samir,Babayev,,,4QW8E4R,,phone?,s@example.az,,",  # not a phone
    "{org},AF-17,Aynur,Orucova,,,4QW8E5R,,,not-an-email,,",  # not an e-mail
    "{org},AF-18,Kamran,Nəsirov,,,2AB4C6D,,,k@example.az,,",  # erased: on the suppression list
    "{org},AF-19,X,Y,,,,,,GONE@example.az,,",  # erased, by e-mail in another spelling
    "{org},AF-20,Ok,Row,,,4QW8E6R,AZE12345678,050 123 45 99,ok@example.az,Baku,customer",
]

GOOD = [
    "{org},AF-1,Aysel,Məmmədova,,,5ZK8R2T,,+994501234567,aysel@example.az,,",  # unchanged
    "{org},AF-2,Rəşad,Əliyev-Quliyev,Kamal,1990-05-17,6mn2p4q,,055 123 45 67,R@Example.az,,"
    "customer",  # updated, its identifiers normalised
    "{org},AF-3,Leyla,Quliyeva,,1991-05-17,7PL3M9X,AA1234567,+994701234567,leyla@example.az,Gəncə,",
    "{org},,Tural,Həsənov,,,2AB4C6E,,,,,customer",  # no reference: always a new person
]


def test_a_file_with_every_kind_of_bad_row_gets_the_same_report_on_both_paths(twins):
    (bulk, rows), dpo = twins

    in_bulk = _import(bulk, dpo, _lines("bulk", BAD), DataSubjectResource)
    row_by_row = _import(rows, dpo, _lines("rows", BAD), RowByRowSubjectResource)

    assert (in_bulk.status, row_by_row.status) == (Job.Status.FAILED, Job.Status.FAILED)
    assert (
        in_bulk.message
        == row_by_row.message
        == ("10 rows of the file must be fixed; nothing was imported.")
    )
    assert report(in_bulk) == report(row_by_row)
    assert sorted(report(in_bulk)) == list(range(2, 12))
    assert DataSubject.objects.filter(external_ref__startswith="AF-1").count() == 2  # AF-1 only


def _people(organisation):
    return sorted(
        DataSubject.objects.filter(organisation=organisation, erased_at=None).values_list(
            *COMPARED
        ),
        key=str,
    )


def _history(organisation):
    return sorted(
        DataSubject.history.filter(organisation=organisation, history_user__isnull=False)
        .exclude(history_change_reason__startswith="erased")
        .values_list("history_type", "external_ref", "last_name", "history_user__username"),
        key=str,
    )


def test_a_good_file_writes_the_same_people_and_history_on_both_paths(twins):
    (bulk, rows), dpo = twins

    in_bulk = _import(bulk, dpo, _lines("bulk", GOOD), DataSubjectResource)
    row_by_row = _import(rows, dpo, _lines("rows", GOOD), RowByRowSubjectResource)

    assert in_bulk.status == Job.Status.DONE, report(in_bulk)
    assert (
        in_bulk.message == row_by_row.message == ("4 rows imported: 2 new, 1 updated, 1 unchanged.")
    )
    assert _people(bulk) == _people(rows)
    updated = {person[0]: person for person in _people(bulk)}["AF-2"]
    assert updated[1:4] == ("Rəşad", "Əliyev-Quliyev", "Kamal")
    assert updated[5:10] == ("6MN2P4Q", "", "+994551234567", "r@example.az", "")
    assert _history(bulk) == _history(rows)
    assert len(_history(bulk)) == 3  # two new, one update; the unchanged row writes none
