"""Bulk consent import from the organisations' systems: people by reference or FIN inside the
row's organisation, activities by code, notices by registry number / edition / language. A file
with a bad row is refused whole with every reason by row number; the same file twice changes
nothing the second time."""

import pytest
import tablib

from consent.models import Consent
from consent.resources import ConsentResource
from dpo_portal.jobs.models import Job
from dpo_portal.register.models import Role
from tests.consent.helpers import consent_url, make_activity, make_notice
from tests.factories import make_organisation, make_subject, make_user
from tests.import_helpers import report
from tests.import_helpers import run_import as import_through_admin
from tests.register.helpers import log_in

pytestmark = pytest.mark.django_db

# The columns the organisations' systems send, in order.
HEADERS = (
    "organisation subject activity notice_registry_number notice_edition notice_language "
    "given_at channel evidence_reference withdrawn_at withdrawal_channel"
).split()


@pytest.fixture
def world():
    org = make_organisation("allall")
    other = make_organisation("qonshu")
    return {
        "org": org,
        "dpo": make_user(Role.DPO, org, username="importer"),
        "by_ref": make_subject(org, external_ref="AF-000001"),
        "by_fin": make_subject(org, external_ref="AF-000002", fin="5ZK8R2T"),
        "stranger": make_subject(other, external_ref="QA-000001"),
        "loans": make_activity(org, "loans"),
        "marketing": make_activity(org, "marketing"),
        "notice": make_notice(org, "IT0101", "01", "az"),
    }


def dataset(*rows):
    data = tablib.Dataset(headers=HEADERS)
    for row in rows:
        data.append(row)
    return data


def good_rows():
    return [
        ["allall", "AF-000001", "loans", "IT0101", "01", "az", "2025-09-01 10:00:00", "web",
         "WEB-1", "", ""],
        ["allall", "5zk8r2t", "marketing", "IT0101", "01", "az", "2025-09-02 11:30:00",
         "app_checkbox", "", "2025-10-01 09:00:00", "phone"],
    ]  # fmt: skip


def run_import(rows, user, dry_run=False):
    return ConsentResource().import_data(
        dataset(*rows),
        dry_run=dry_run,
        raise_errors=False,
        rollback_on_validation_errors=True,
        user=user,
    )


def test_consents_are_imported_with_people_matched_by_reference_or_fin(world):
    result = run_import(good_rows(), world["dpo"])

    assert not result.has_errors() and not result.has_validation_errors()
    by_ref = Consent.objects.get(subject=world["by_ref"])
    assert by_ref.activity == world["loans"] and by_ref.notice == world["notice"]
    by_fin = Consent.objects.get(subject=world["by_fin"])
    assert by_fin.activity == world["marketing"]
    assert not by_fin.is_active and by_fin.withdrawal_channel == "phone"


def test_bad_rows_are_refused_by_row_number_and_nothing_is_written(world):
    rows = good_rows() + [
        ["allall", "QA-000001", "loans", "", "", "", "2025-09-03 10:00:00", "web", "", "", ""],
        ["allall", "AF-000001", "no-such", "IT0101", "09", "az", "2025-09-04 10:00:00", "web",
         "", "", ""],
        ["allall", "AF-000002", "loans", "", "", "", "2025-09-05 10:00:00", "web", "",
         "2025-09-01 10:00:00", "web"],
    ]  # fmt: skip

    result = run_import(rows, world["dpo"])

    assert result.has_validation_errors()
    refused = {row.number: " ".join(row.error_dict.get("__all__", [])) + str(row.error_dict)
               for row in result.invalid_rows}  # fmt: skip
    assert set(refused) == {3, 4, 5}
    assert "No data subject with this reference" in refused[3]  # another organisation's person
    assert "no-such" in refused[4] and "IT0101 / 09" in refused[4]
    assert "before it was given" in refused[5]
    assert Consent.objects.count() == 0


def test_a_second_active_consent_in_the_file_is_refused(world):
    rows = [
        good_rows()[0],
        ["allall", "AF-000001", "loans", "", "", "", "2025-12-01 10:00:00", "web", "", "", ""],
    ]

    result = run_import(rows, world["dpo"])

    assert [row.number for row in result.invalid_rows] == [2]
    assert "already has an active consent" in str(result.invalid_rows[0].error_dict)
    assert Consent.objects.count() == 0


def test_importing_the_same_file_again_changes_nothing(world):
    run_import(good_rows(), world["dpo"])
    before = list(Consent.objects.order_by("pk").values())
    history_before = Consent.history.count()

    again = run_import(good_rows(), world["dpo"])

    assert again.totals["new"] == 0 and again.totals["update"] == 0
    assert again.totals["skip"] == 2
    assert list(Consent.objects.order_by("pk").values()) == before
    assert Consent.history.count() == history_before


def test_the_admin_import_runs_in_the_background_and_lists_bad_rows_by_row(client, world):
    log_in(client, world["dpo"])
    rows = good_rows() + [
        ["allall", "NOBODY", "loans", "", "", "", "2025-09-03 10:00:00", "web", "", "", ""],
    ]
    content = dataset(*rows).export("csv").encode()

    job = import_through_admin(client, consent_url("consent", "import"), world["org"], content)

    assert job.status == Job.Status.FAILED
    # Row 4 of the file (the header is row 1), under the column that holds the person.
    assert report(job) == {
        4: [
            (
                "subject",
                "N••••Y",
                "No data subject with this reference or FIN in this organisation.",
            )
        ]
    }
    page = client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()
    assert "No data subject with this reference or FIN in this organisation." in page
    assert Consent.objects.count() == 0


def test_duplicate_consents_in_a_file_are_reported_by_row_not_merged(client, world):
    log_in(client, world["dpo"])
    rows = good_rows() + [good_rows()[0]]
    content = dataset(*rows).export("csv").encode()

    job = import_through_admin(client, consent_url("consent", "import"), world["org"], content)

    errors = report(job)
    assert list(errors) == [4]
    assert "The same entry as row 2" in errors[4][0][2]
    assert Consent.objects.count() == 0
