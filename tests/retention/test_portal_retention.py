"""Retention of the portal's own data, the gap and the record-of-processing column retention
adds, and the background recompute a rule change starts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from consent.gaps import annotate_gaps
from consent.models import Consent, ProcessingActivity
from consent.reports import record_rows
from dpo_portal.jobs.models import Job
from dpo_portal.jobs.tasks import run_job
from dpo_portal.register.models import Role
from retention.jobs import recompute_expiry  # noqa: F401 (registers the handler)
from retention.models import PeriodUnit, Record
from retention.portal_data import scrub_withdrawn_consent_evidence
from tests.factories import make_category, make_subject, make_user
from tests.register.helpers import log_in

from .helpers import make_activity, make_consent, make_record, make_rule, retention_world

pytestmark = pytest.mark.django_db


def test_withdrawn_consents_lose_their_evidence_after_the_configured_period(settings):
    settings.PORTAL_RETENTION = {"withdrawn_consent_evidence_days": 90}
    organisation, *_ = retention_world()
    activity = make_activity(organisation)
    now = timezone.now()
    old = make_consent(
        make_subject(organisation),
        activity,
        given_at=now - datetime.timedelta(days=400),
        withdrawn_at=now - datetime.timedelta(days=91),
        evidence_reference="SCAN-1",
    )
    recent = make_consent(
        make_subject(organisation),
        activity,
        given_at=now - datetime.timedelta(days=400),
        withdrawn_at=now - datetime.timedelta(days=89),
        evidence_reference="SCAN-2",
    )
    active = make_consent(make_subject(organisation), activity, evidence_reference="SCAN-3")

    assert scrub_withdrawn_consent_evidence(now=now) == 1

    values = dict(Consent.objects.values_list("pk", "evidence_reference"))
    assert values == {old.pk: "", recent.pk: "SCAN-2", active.pk: "SCAN-3"}
    assert not Consent.history.filter(id=old.pk, evidence_reference="SCAN-1").exists()
    assert scrub_withdrawn_consent_evidence(now=now) == 0


def test_an_activity_without_any_rule_shows_the_gap_and_the_record_shows_the_limits():
    organisation, _system, category, rule = retention_world()
    covered = make_activity(organisation, code="covered")
    covered.categories.add(category)
    make_activity(organisation, code="bare")

    gaps = {
        a.code: a.gap_no_retention_rule
        for a in annotate_gaps(ProcessingActivity.objects.filter(organisation=organisation))
    }
    assert gaps == {"covered": False, "bare": True}

    rows = {row["code"]: row for row in record_rows(organisation)}
    assert "Tax Code art. 71.4" in rows["covered"]["retention_limits"]
    assert "5 years" in rows["covered"]["retention_limits"]
    assert rows["bare"]["retention_limits"] == ""


def test_changing_a_rule_in_the_admin_recomputes_the_records_in_a_background_job(client):
    organisation, system, category, rule = retention_world()
    records = [
        make_record(
            organisation,
            system=system,
            category=category,
            rule=rule,
            collected_at=datetime.date(2024, 1, 31),
        )
        for _ in range(3)
    ]
    other = make_category(organisation)
    make_rule(organisation, category=other)
    dpo = make_user(Role.DPO, organisation)
    log_in(client, dpo)

    response = client.post(
        reverse("admin:retention_retentionrule_change", args=[rule.pk]),
        {
            "organisation": organisation.pk,
            "code": rule.code,
            "name_az": rule.name,
            "name_en": rule.name,
            "category": category.pk,
            "period": 1,
            "unit": PeriodUnit.MONTHS,
            "trigger": rule.trigger,
            "end_action": rule.end_action,
            "legal_reference_az": rule.legal_reference,
            "legal_reference_en": rule.legal_reference,
            "description_az": "",
            "description_en": "",
        },
    )

    assert response.status_code == 302
    job = Job.objects.get(kind="retention.recompute_expiry")
    run_job(job.pk)  # what the worker does once the request's transaction commits
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.total > 0 and job.done == job.total
    assert {r.expires_on for r in Record.objects.filter(pk__in=[r.pk for r in records])} == {
        datetime.date(2024, 2, 29)
    }
