"""The audit trail is tamper-evident: each organisation's events form a hash chain, and a row
changed, deleted or inserted behind the portal's back is reported at the right link."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from consent.models import ConsentChannel
from consent.services import withdraw_consent
from dpo_portal.audit import chain
from dpo_portal.audit.models import AuditChainHead, AuditEvent
from dpo_portal.register.models import Role
from requests.services import extend_deadline
from retention import services, sweep
from retention.models import DisposalBatch
from tests.consent.helpers import make_activity, make_consent
from tests.factories import make_organisation, make_subject, make_user
from tests.requests.helpers import make_request
from tests.retention.helpers import make_record, retention_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail():
    """Events written by several services of several apps, in one organisation."""
    organisation, system, category, rule = retention_world()
    dpo = make_user(Role.DPO, organisation, first_name="Leyla", last_name="Həsənova")
    subject = make_subject(organisation)
    make_record(organisation, subject=subject, system=system, category=category, rule=rule)
    request = make_request(organisation)  # requests.received
    extend_deadline(request, reason="The bureau must reply", actor=dpo)
    withdraw_consent(
        make_consent(subject, make_activity(organisation)), actor=dpo, channel=ConsentChannel.WEB
    )
    hold = services.place_hold(organisation=organisation, actor=dpo, reason="Claim", system=system)
    services.release_hold(hold, actor=dpo, reason="Settled")
    sweep.sweep_inline(today=datetime.date(2026, 11, 22))
    services.approve_batch(DisposalBatch.objects.get(), actor=dpo)
    events = list(AuditEvent.objects.filter(organisation=organisation).order_by("sequence"))
    assert len({e.action.split(".")[0] for e in events}) >= 3  # several apps wrote
    return organisation, events


def sql(statement, params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_events_of_several_services_form_an_intact_chain(trail):
    organisation, events = trail
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert events[0].previous_hash == ""
    assert all(b.previous_hash == a.hash for a, b in zip(events, events[1:], strict=False))

    check = chain.verify(organisation.pk)
    assert check.intact and check.events == len(events)
    assert check.head_hash == events[-1].hash


def test_another_organisations_chain_starts_at_one_and_is_checked_alone(trail):
    organisation, events = trail
    other = make_organisation()
    event = AuditEvent.record("retention.sweep_finished", organisation=other, due=0)
    assert event.sequence == 1 and event.previous_hash == ""
    sql("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [events[0].pk])
    assert chain.verify(other.pk).intact
    assert not chain.verify(organisation.pk).intact


def test_a_row_changed_in_sql_is_reported_at_its_link(trail):
    organisation, events = trail
    third = events[2]
    sql("UPDATE audit_auditevent SET details = %s WHERE id = %s", ['{"records": 0}', third.pk])

    broken = chain.verify(organisation.pk).broken
    assert (broken.sequence, broken.event_id, broken.reason) == (3, third.pk, "altered")
    assert "Event no. 3" in broken.describe() and "changed after it was written" in (
        broken.describe()
    )


def test_a_changed_time_or_actor_breaks_the_chain_too(trail):
    organisation, events = trail
    sql(
        "UPDATE audit_auditevent SET created_at = created_at - interval '1 day' WHERE id = %s",
        [events[1].pk],
    )
    assert chain.verify(organisation.pk).broken.sequence == 2


def test_a_row_deleted_in_sql_is_reported_as_missing(trail):
    organisation, events = trail
    sql("DELETE FROM audit_auditevent WHERE id = %s", [events[3].pk])

    broken = chain.verify(organisation.pk).broken
    assert (broken.sequence, broken.reason) == (4, "missing")


def test_the_last_row_deleted_is_reported_against_the_chain_head(trail):
    organisation, events = trail
    sql("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])

    broken = chain.verify(organisation.pk).broken
    assert (broken.sequence, broken.reason) == (len(events), "missing_at_end")


def test_a_row_inserted_in_sql_is_reported_at_its_link(trail):
    organisation, events = trail
    last = events[-1]
    forged = chain.link_hash(last.hash, "forged")
    sql(
        "INSERT INTO audit_auditevent (organisation_id, action, target_id, details, created_at,"
        " sequence, previous_hash, hash) VALUES (%s, 'retention.batch_rejected', '', '{}', now(),"
        " %s, %s, %s)",
        [organisation.pk, last.sequence + 1, last.hash, forged],
    )

    broken = chain.verify(organisation.pk).broken
    assert (broken.sequence, broken.reason) == (last.sequence + 1, "beyond_head")


def test_a_row_slipped_into_the_middle_is_reported_where_it_went_in(trail):
    """Moving later events up to make room: the first moved link no longer matches."""
    organisation, events = trail
    sql(
        "UPDATE audit_auditevent SET sequence = sequence + 1000 WHERE organisation_id = %s"
        " AND sequence >= 3",
        [organisation.pk],
    )
    sql(
        "UPDATE audit_auditevent SET sequence = sequence - 999 WHERE organisation_id = %s"
        " AND sequence > 1000",
        [organisation.pk],
    )
    sql(
        "INSERT INTO audit_auditevent (organisation_id, action, target_id, details, created_at,"
        " sequence, previous_hash, hash) VALUES (%s, 'retention.batch_rejected', '', '{}', now(),"
        " 3, %s, %s)",
        [organisation.pk, events[1].hash, "0" * 64],
    )

    broken = chain.verify(organisation.pk).broken
    assert (broken.sequence, broken.reason) == (3, "altered")


def test_the_command_and_the_dashboard_report_the_first_broken_link(client, trail):
    organisation, events = trail
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert f"{organisation.slug}: intact, {len(events)} events" in out.getvalue()

    sql("UPDATE audit_auditevent SET target_id = '999' WHERE id = %s", [events[4].pk])
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_audit_chain", stdout=out)
    assert exit_.value.code == 1
    assert f"{organisation.slug}: BROKEN at no. 5" in out.getvalue()

    head = AuditChainHead.objects.get(organisation=organisation)
    assert head.broken_sequence == 5 and head.broken_event_id == events[4].pk
    client.force_login(make_user(Role.AUDITOR, organisation))
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert "Event no. 5" in dashboard and "changed after it was written" in dashboard


def test_a_rolled_back_use_case_takes_its_link_with_it(trail):
    organisation, events = trail
    with pytest.raises(RuntimeError), transaction.atomic():
        AuditEvent.record("retention.sweep_finished", organisation=organisation, due=1)
        raise RuntimeError
    event = AuditEvent.record("retention.sweep_finished", organisation=organisation, due=2)
    assert event.sequence == len(events) + 1
    assert chain.verify(organisation.pk).intact
