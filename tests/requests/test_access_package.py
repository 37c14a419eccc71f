"""The access package: every record, consent, recipient and source of the person, and nothing of
anyone else, as an HTML document and JSON in a ZIP, built by a real Celery worker."""

import datetime
import io
import json
import time
import zipfile

import pytest
from django.core.exceptions import ValidationError

from dpo_portal.jobs.models import Job
from dpo_portal.register.models import Disclosure, RecipientCategory, SourceKind
from requests import access
from tests.consent.helpers import make_activity, make_consent, make_notice
from tests.factories import make_recipient, make_source
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    make_request,
    three_systems,
)
from tests.retention.helpers import make_rule


def build_world():
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    other = make_person(
        organisation,
        first_name="Orxan",
        last_name="Başqa",
        fin="5ZK8R2T",
        phone="+994701112233",
        email="orxan@example.az",
    )
    core, crm, aml = three_systems(organisation)
    identity = make_category(organisation, "identity", name="Identity data")
    contact = make_category(organisation, "contact", name="Contact data")
    bureau = make_source(
        organisation, "bureau", name="Credit bureau", kind=SourceKind.CREDIT_BUREAU
    )
    asan = make_source(organisation, "asan", name="ASAN service", kind=SourceKind.STATE_SYSTEM)
    secret_source = make_source(organisation, "other-src", name="Only-for-Orxan source")
    hosting = make_recipient(organisation, "hosting", name="Cloud hosting LLC")
    tax = make_recipient(
        organisation, "tax", name="State Tax Service", category=RecipientCategory.STATE_BODY
    )
    secret_recipient = make_recipient(organisation, "other-rcp", name="Only-for-Orxan recipient")
    lending = make_activity(organisation, "lending", name="Lending contract")
    lending.sources.add(bureau, asan)
    lending.recipients.add(hosting)
    marketing = make_activity(organisation, "marketing", name="Direct marketing")
    loyalty = make_activity(organisation, "loyalty", name="Only-for-Orxan loyalty")
    loyalty.sources.add(secret_source)
    loyalty.recipients.add(secret_recipient)
    rule = make_rule(organisation, category=identity, legal_reference="Tax Code art. 71.4")
    records = [
        make_record(person, core, identity, activity=lending, rule=rule, external_id="LOAN-1"),
        make_record(person, core, contact, activity=lending, external_id="LOAN-1-C"),
        make_record(person, crm, contact, activity=marketing, external_id="CRM-77"),
    ]
    make_record(other, aml, identity, activity=loyalty, external_id="ORXAN-REC")
    notice = make_notice(organisation, registry_number="IT0101", edition="01")
    make_consent(person, marketing, notice=notice)
    make_consent(other, loyalty, notice=notice, evidence_reference="ORXAN-EVIDENCE")
    disclosure = Disclosure.objects.create(
        organisation=organisation,
        disclosed_on=datetime.date(2026, 3, 2),
        recipient=tax,
        legal_basis="Tax Code art. 23",
        request_reference="VXS-2026-11",
    )
    disclosure.subjects.add(person)
    disclosure.categories.add(identity)
    secret_disclosure = Disclosure.objects.create(
        organisation=organisation,
        disclosed_on=datetime.date(2026, 3, 3),
        recipient=tax,
        legal_basis="Tax Code art. 23",
        request_reference="ORXAN-DISCLOSURE",
    )
    secret_disclosure.subjects.add(other)
    request = make_request(person, actor=dpo, kind="access")
    return dpo, person, other, records, request


def unpack(content):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = sorted(archive.namelist())
        html = archive.read("access-package.html").decode()
        data = json.loads(archive.read("access-package.json"))
    return names, html, data


OTHERS = (
    "Orxan",
    "Başqa",
    "5ZK8R2T",
    "orxan@example.az",
    "701112233",
    "ORXAN-REC",
    "ORXAN-EVIDENCE",
    "ORXAN-DISCLOSURE",
    "Only-for-Orxan",
)


def assert_complete_and_only_theirs(content, person, records):
    names, html, data = unpack(content)
    assert names == ["access-package.html", "access-package.json"]
    everything = html + json.dumps(data, ensure_ascii=False)
    for needle in OTHERS:
        assert needle not in everything, needle

    assert data["data_subject"]["fin"] == person.fin
    assert data["data_subject"]["email"] == person.email
    held = {
        (system["system"], record["id_in_system"], record["category"])
        for system in data["records_by_system"]
        for record in system["records"]
    }
    assert held == {
        ("Core banking", "LOAN-1", "Identity data"),
        ("Core banking", "LOAN-1-C", "Contact data"),
        ("CRM", "CRM-77", "Contact data"),
    }
    assert len(records) == len(held)
    purposes = {p["activity"]: p for p in data["purposes"]}
    assert set(purposes) == {"Lending contract", "Direct marketing"}
    assert purposes["Lending contract"]["legal_basis"]
    assert {r["name"] for r in data["recipients"]} == {"Cloud hosting LLC", "State Tax Service"}
    assert {g["category"] for g in data["recipients_by_category"]} == {
        str(RecipientCategory.SERVICE_PROVIDER.label),
        str(RecipientCategory.STATE_BODY.label),
    }
    assert {s["name"] for s in data["sources"]} == {"Credit bureau", "ASAN service"}
    assert [c["activity"] for c in data["consents"]] == ["Direct marketing"]
    assert data["consents"][0]["notice_registry_number"] == "IT0101"
    assert data["consents"][0]["notice_edition"] == "01"
    assert [d["request_reference"] for d in data["disclosures"]] == ["VXS-2026-11"]
    assert data["retention"][0]["legal_reference"] == "Tax Code art. 71.4"
    # The human-readable document says the same.
    for text in ("LOAN-1", "CRM-77", "Cloud hosting LLC", "ASAN service", "IT0101", person.fin):
        assert text in html


def wait_for(job, attempts=600):
    for _ in range(attempts):
        job.refresh_from_db()
        if job.is_finished:
            return job
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


@pytest.mark.django_db
def test_package_holds_everything_of_the_person_and_nothing_of_anyone_else():
    _dpo, person, _other, records, request = build_world()

    content, _facts = access.build_package(request, language="en")

    assert_complete_and_only_theirs(content, person, records)


@pytest.mark.django_db
def test_no_package_before_identity_is_verified():
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    request = make_request(person, actor=dpo, kind="access", verify=False)

    with pytest.raises(ValidationError):
        access.start_access_package(request, actor=dpo)
    assert not Job.objects.exists()


def test_package_job_runs_on_a_real_worker_with_progress_and_keeps_the_zip(celery_worker_real):
    dpo, person, _other, records, request = build_world()

    job = access.start_access_package(request, actor=dpo, language="en")
    job = wait_for(job)

    assert job.status == Job.Status.DONE, job.message
    assert job.total == 3  # two systems, then the register's facts
    assert job.done == job.total
    assert job.result_name == f"{request.reference}-access-package.zip"
    assert job.result_content_type == "application/zip"
    assert job.parameters == {"request_id": request.pk, "language": "en"}
    assert_complete_and_only_theirs(bytes(job.result), person, records)
    assert list(access.package_jobs(request)) == [job]
