"""The December reminder to record the coming year's calendar decision, and the state
registration rule as data in the system's warning."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from dpo_portal.legal.models import CalendarDecision, RegimeVersion, RegistrationRule
from dpo_portal.register.models import _rule_cache
from dpo_portal.register.reminders import send_calendar_decision_reminders
from tests.factories import Role, make_organisation, make_system, make_user

pytestmark = pytest.mark.django_db
D = datetime.date


def test_in_december_the_dpo_is_asked_once_a_week_until_the_decision_is_recorded():
    organisation = make_organisation(languages="en")
    make_user(Role.DPO, organisation, email="dpo@example.org")
    make_user(Role.AUDITOR, organisation, email="auditor@example.org")
    assert send_calendar_decision_reminders(on=D(2026, 11, 30)) == 0
    assert send_calendar_decision_reminders(on=D(2026, 12, 7)) == 1
    assert send_calendar_decision_reminders(on=D(2026, 12, 8)) == 0  # same week
    assert mail.outbox[0].to == ["dpo@example.org"]
    assert "2027" in mail.outbox[0].subject
    assert "Labour Code art. 105.4" in mail.outbox[0].body
    CalendarDecision.objects.create(country="AZ", year=2027, reference="No. 600")
    assert send_calendar_decision_reminders(on=D(2026, 12, 14)) == 0


def test_the_registration_warning_quotes_the_rule_and_its_references(client):
    _rule_cache.clear()
    organisation = make_organisation()
    system = make_system(organisation, subject_count=1500, created_on=D(2026, 11, 1))
    assert system.needs_registration and system.registration_due_on == D(2026, 11, 21)
    with_language = "Administrative Offences Code, art. 375.0.1"
    from django.utils import translation

    with translation.override("en"):
        warning = str(system.registration_warning)
    assert "1,000+ subjects, within 20 days" in warning
    assert with_language in warning and "AZN 300–500" in warning
    rule = RegistrationRule.objects.get(country="AZ")
    rule.subject_threshold, rule.days_to_file = 2000, 30
    rule.save()  # this process forgets its cached rule at once (the others within a minute)
    system.refresh_from_db()
    assert not system.needs_registration
    client.force_login(make_user(Role.DPO, organisation))
    page = client.get(
        reverse("admin:register_system_change", args=[system.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200


def test_refusal_grounds_carry_the_codes_of_requests_refusals():
    version = RegimeVersion.objects.of_regime("az").get()
    assert version.refusal_ground("tax_records").reference.citation_en == "Tax Code, art. 71.4"
    assert version.refusal_ground("manifestly_unfounded_or_excessive") is None
    gdpr = RegimeVersion.objects.of_regime("gdpr").get()
    codes = [code for code, _label in gdpr.refusal_ground_choices()]
    assert codes[0] == "identity_not_established" and "restricted_by_law" in codes
