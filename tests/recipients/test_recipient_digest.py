"""The weekly recipient digest, run by a real Celery worker: one mail per organisation to each of
its compliance officers, naming that organisation's recipients, once a week and never twice."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from dpo_portal.recipients.digest import send_recipient_digests
from dpo_portal.recipients.tasks import send_recipient_digests as digest_task
from dpo_portal.register.models import Membership
from tests.factories import Role, make_organisation, make_recipient, make_user

DAY = datetime.timedelta(days=1)


@pytest.fixture
def register(transactional_db):
    today = timezone.localdate()
    allall = make_organisation("allall", name="AllAll Finance", languages="en")
    qonshu = make_organisation("qonshu", name="Qonshu app", languages="en")
    quiet = make_organisation("quiet", name="Quiet MMC", languages="en")
    people = {
        "allall_officer": make_user(Role.COMPLIANCE, allall, username="aysel"),
        "allall_dpo": make_user(Role.DPO, allall, username="murad"),
        "qonshu_officer": make_user(Role.COMPLIANCE, qonshu, username="leyla"),
        # Compliance in Qonshu, only a DPO at AllAll: gets Qonshu's digest, not AllAll's.
        "mixed": make_user(Role.COMPLIANCE, qonshu, username="rauf"),
        "quiet_officer": make_user(Role.COMPLIANCE, quiet, username="nigar"),
    }
    Membership.objects.create(user=people["mixed"], organisation=allall, role=Role.DPO)
    make_recipient(allall, "kb", name="Kredit Bureau", next_review_due=today - DAY)
    make_recipient(
        allall,
        "cloud",
        name="Cloud Storage",
        contract_reference="DPA-7",
        contract_signed_on=today - 300 * DAY,
        contract_expires_on=today + 30 * DAY,
    )
    make_recipient(allall, "fine", name="Reviewed Courier", next_review_due=today + DAY)
    make_recipient(qonshu, "support", name="Support Partner", next_review_due=today - 40 * DAY)
    make_recipient(quiet, "ok", name="Nothing Due", next_review_due=today + 90 * DAY)
    return people


def mails_to(username):
    return [m for m in mail.outbox if m.to == [f"{username}@example.org"]]


def test_digest_goes_to_each_organisations_compliance_officers_once_a_week(
    register, celery_worker_real
):
    assert digest_task.delay().get(timeout=60) == 3

    (allall_mail,) = mails_to("aysel")
    assert "AllAll Finance" in allall_mail.subject
    assert "Kredit Bureau" in allall_mail.body  # review overdue
    assert "Cloud Storage" in allall_mail.body  # contract expiring
    assert "Reviewed Courier" not in allall_mail.body
    assert "Support Partner" not in allall_mail.body

    qonshu_mails = mails_to("leyla")
    assert len(qonshu_mails) == 1 and "Support Partner" in qonshu_mails[0].body
    assert "Kredit Bureau" not in qonshu_mails[0].body

    (mixed_mail,) = mails_to("rauf")  # only Qonshu's: at AllAll they are a DPO
    assert "Qonshu app" in mixed_mail.subject
    assert mails_to("murad") == []  # DPOs are not in this digest
    assert mails_to("nigar") == []  # nothing due in their organisation

    # The beat firing again in the same week sends nothing more.
    assert digest_task.delay().get(timeout=60) == 0
    assert len(mail.outbox) == 3


def test_next_week_the_digest_goes_out_again(register):
    today = timezone.localdate()
    assert send_recipient_digests(on=today) == 3
    assert send_recipient_digests(on=today) == 0
    assert send_recipient_digests(on=today + 7 * DAY) == 3
