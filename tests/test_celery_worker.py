"""The weekly state-registration reminder, run by a real Celery worker through the real Redis,
writing to the real database: each DPO and compliance officer gets one mail a week, not two."""

from django.core import mail

from dpo_portal.notifications.models import SentNotification
from dpo_portal.register.models import Role
from dpo_portal.register.tasks import send_system_registration_reminders
from tests.factories import make_organisation, make_system, make_user


def test_worker_mails_registration_reminders_once_a_week(celery_worker_real):
    allall = make_organisation("allall", name="AllAll Finance", languages="en")
    make_system(allall, name="Loan system", subject_count=14200, registration_number="")
    make_system(allall, name="Call recording", subject_count=11000, registration_number="IS-1")
    make_system(allall, name="Website", subject_count=650, registration_number="")
    dpo = make_user(Role.DPO, allall, email="dpo@allall.example")
    compliance = make_user(Role.COMPLIANCE, allall, email="compliance@allall.example")
    make_user(Role.MANAGER, allall, email="manager@allall.example")
    mail.outbox.clear()

    first = send_system_registration_reminders.delay()

    assert first.get(timeout=30) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([dpo.email, compliance.email])
    body = mail.outbox[0].body
    assert "Loan system" in body
    assert "Call recording" not in body and "Website" not in body
    sent = SentNotification.objects.filter(kind="register.system_registration")
    assert sorted(sent.values_list("user_id", flat=True)) == sorted([dpo.pk, compliance.pk])

    second = send_system_registration_reminders.delay()

    assert second.get(timeout=30) == 0
    assert len(mail.outbox) == 2
    assert sent.count() == 2
