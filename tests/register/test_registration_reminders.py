"""The weekly reminder about systems missing their state registration, as its readers see it."""

import datetime

import pytest
from django.core import mail

from dpo_portal.register.models import Role
from dpo_portal.register.reminders import send_system_registration_reminders
from tests.factories import make_organisation, make_system, make_user

pytestmark = pytest.mark.django_db
MONDAY = datetime.date(2026, 11, 23)


def test_one_unregistered_system_is_named_in_the_singular():
    allall = make_organisation("allall", name="AllAll Finance", languages="en")
    make_system(allall, name="Loan system", subject_count=1000, created_on=MONDAY)
    make_user(Role.DPO, allall, email="dpo@allall.example")

    send_system_registration_reminders(on=MONDAY)

    (message,) = mail.outbox
    assert message.subject == "AllAll Finance: 1 system needs state registration"
    assert "Loan system" in message.body and "2026-12-13" in message.body


def test_the_reminder_goes_out_again_the_next_week_while_the_gap_remains():
    allall = make_organisation("allall", name="AllAll Finance", languages="en")
    make_system(allall, name="Loan system", subject_count=5000)
    make_system(allall, name="CRM", subject_count=2000)
    make_user(Role.COMPLIANCE, allall, email="compliance@allall.example")

    sent = [
        send_system_registration_reminders(on=day)
        for day in (MONDAY, MONDAY + datetime.timedelta(days=3), MONDAY + datetime.timedelta(7))
    ]

    assert sent == [1, 0, 1]
    assert mail.outbox[0].subject == "AllAll Finance: 2 systems need state registration"
