"""Consent rules: one active consent per person and activity, withdrawal acting on the future only,
harmless when repeated, refused before the consent was given, and recorded with who withdrew."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from consent.models import Consent
from consent.services import scrub_consent_evidence, withdraw_consent
from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import Role
from tests.consent.helpers import consent_url, make_activity, make_consent, make_notice
from tests.factories import make_organisation, make_subject, make_user
from tests.register.helpers import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return make_organisation("allall")


@pytest.fixture
def dpo(org):
    return make_user(Role.DPO, org, username="dpo-allall")


def _add_form(org, subject, activity, notice, given="2026-01-05"):
    return {
        "organisation": org.pk,
        "subject": subject.pk,
        "activity": activity.pk,
        "notice": notice.pk,
        "given_at_0": given,
        "given_at_1": "10:00:00",
        "channel": "web",
        "evidence_reference": "FORM-1",
    }


def test_second_active_consent_is_refused_in_the_admin_form_with_a_readable_message(
    client, org, dpo
):
    subject, activity, notice = make_subject(org), make_activity(org), make_notice(org)
    make_consent(subject, activity, notice=notice)
    log_in(client, dpo)

    response = client.post(
        consent_url("consent", "add"),
        _add_form(org, subject, activity, notice),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200  # the form again, not a server error
    assert "already has an active consent" in response.content.decode()
    assert Consent.objects.filter(subject=subject, activity=activity).count() == 1


def test_new_consent_after_a_withdrawal_is_accepted(client, org, dpo):
    subject, activity, notice = make_subject(org), make_activity(org), make_notice(org)
    old = make_consent(subject, activity, notice=notice)
    withdraw_consent(old, actor=dpo, channel="paper")
    log_in(client, dpo)

    response = client.post(
        consent_url("consent", "add"),
        _add_form(org, subject, activity, notice, given=timezone.localdate().isoformat()),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 302
    assert Consent.objects.filter(subject=subject, activity=activity).active().count() == 1


def test_withdrawal_dated_before_the_consent_was_given_is_refused(org, dpo):
    consent = make_consent(make_subject(org), make_activity(org))

    with pytest.raises(ValidationError) as refused:
        withdraw_consent(
            consent,
            actor=dpo,
            channel="phone",
            at=consent.given_at - datetime.timedelta(days=1),
        )

    assert "cannot be withdrawn before it was given" in refused.value.messages[0]
    consent.refresh_from_db()
    assert consent.is_active
    assert not AuditEvent.objects.filter(action="consent.withdrawn").exists()


def test_withdrawing_twice_leaves_one_withdrawal(org, dpo):
    consent = make_consent(make_subject(org), make_activity(org))

    first = withdraw_consent(consent, actor=dpo, channel="paper")
    second = withdraw_consent(consent, actor=dpo, channel="web")

    assert second.withdrawn_at == first.withdrawn_at
    assert second.withdrawal_channel == "paper"
    withdrawals = consent.history.filter(withdrawn_at__isnull=False, history_type="~")
    assert withdrawals.count() == 1
    assert (
        AuditEvent.objects.filter(action="consent.withdrawn", target_id=str(consent.pk)).count()
        == 1
    )


def test_withdrawal_keeps_the_consent_and_its_past(org, dpo):
    given = timezone.now() - datetime.timedelta(days=100)
    consent = make_consent(make_subject(org), make_activity(org), given_at=given)

    withdraw_consent(consent, actor=dpo, channel="e_signature")

    consent.refresh_from_db()
    assert consent.given_at == given
    assert not consent.is_active
    assert Consent.objects.withdrawn().filter(pk=consent.pk).exists()


def test_history_shows_who_withdrew_the_consent(client, org, dpo):
    consent = make_consent(make_subject(org), make_activity(org))
    withdraw_consent(consent, actor=dpo, channel="paper")

    latest = consent.history.latest()
    assert latest.history_user == dpo
    assert latest.history_change_reason == "withdrawn"
    auditor = make_user(Role.AUDITOR, org, username="auditor-reads-history")
    log_in(client, auditor)
    page = client.get(consent_url("consent", "history", consent.pk), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "dpo-allall" in page.content.decode()


def test_admin_action_withdraws_selected_consents_after_a_confirmation_page(client, org, dpo):
    activity = make_activity(org)
    active = make_consent(make_subject(org), activity)
    already = make_consent(make_subject(org), activity)
    withdraw_consent(already, actor=dpo, channel="paper")
    already.refresh_from_db()
    log_in(client, dpo)
    selection = {"action": "withdraw_selected", "_selected_action": [active.pk, already.pk]}

    confirmation = client.post(
        consent_url("consent", "changelist"), selection, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert confirmation.status_code == 200
    text = confirmation.content.decode()
    assert "Withdraw this consent?" in text
    assert "withdrawn already" in text
    active.refresh_from_db()
    assert active.is_active  # nothing happens before the confirmation

    done = client.post(
        consent_url("consent", "changelist"),
        {**selection, "post": "yes", "channel": "phone"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert done.status_code == 302
    active.refresh_from_db()
    assert not active.is_active and active.withdrawal_channel == "phone"
    assert active.history.latest().history_user == dpo
    unchanged = Consent.objects.get(pk=already.pk)
    assert unchanged.withdrawn_at == already.withdrawn_at
    assert unchanged.withdrawal_channel == "paper"


def test_admin_action_cannot_withdraw_another_organisations_consent(client, org, dpo):
    other = make_organisation("qonshu")
    theirs = make_consent(make_subject(other), make_activity(other))
    log_in(client, dpo)

    client.post(
        consent_url("consent", "changelist"),
        {"action": "withdraw_selected", "_selected_action": [theirs.pk], "post": "yes",
         "channel": "web"},
    )  # fmt: skip

    theirs.refresh_from_db()
    assert theirs.is_active


def test_compliance_officer_cannot_withdraw_consents(client, org):
    consent = make_consent(make_subject(org), make_activity(org))
    officer = make_user(Role.COMPLIANCE, org)
    log_in(client, officer)

    client.post(
        consent_url("consent", "changelist"),
        {"action": "withdraw_selected", "_selected_action": [consent.pk], "post": "yes",
         "channel": "web"},
    )  # fmt: skip

    consent.refresh_from_db()
    assert consent.is_active


def test_scrubbing_consent_evidence_removes_it_from_rows_and_history(org, dpo):
    subject = make_subject(org)
    consent = make_consent(subject, make_activity(org), evidence_reference="SCAN-AZE12345678")
    withdraw_consent(consent, actor=dpo, channel="paper")

    scrub_consent_evidence(subject, actor=dpo)

    consent.refresh_from_db()
    assert consent.evidence_reference == ""
    assert not consent.history.exclude(evidence_reference="").exists()
    assert not consent.is_active  # the facts of the consent stay
    event = AuditEvent.objects.get(action="consent.evidence_scrubbed")
    assert "SCAN" not in str(event.details)


def test_consents_are_found_by_the_persons_fin_however_it_is_typed(client, org, dpo):
    subject = make_subject(org, fin="5ZK8R2T")
    make_consent(subject, make_activity(org, name="Direct marketing"))
    make_consent(make_subject(org), make_activity(org, name="Market research"))
    log_in(client, dpo)

    found = client.get(consent_url("consent", "changelist") + "?q=5zk8r2t ")

    assert [c.subject_id for c in found.context["cl"].result_list] == [subject.pk]
