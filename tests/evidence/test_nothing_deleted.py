"""Nothing that holds personal data or evidence is deleted from the admin, by any role,
superusers included; register vocabulary is deleted only while nothing uses it, and audited."""

import datetime

import pytest
from django.urls import reverse

from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import DataCategory, Disclosure, Role, System
from retention import services, sweep
from retention.models import DisposalBatch, LegalHold, Record, RetentionRule
from tests.consent.helpers import make_activity, make_consent
from tests.factories import make_category, make_recipient, make_subject, make_system, make_user
from tests.requests.helpers import make_request
from tests.retention.helpers import make_record, make_rule, retention_world

pytestmark = pytest.mark.django_db

ROLES = [Role.DPO, Role.COMPLIANCE, Role.MANAGER, Role.AUDITOR, "superuser"]


@pytest.fixture
def evidence():
    """One row of every model that leaves only through its process."""
    organisation, system, category, rule = retention_world()
    subject = make_subject(organisation)
    record = make_record(organisation, subject=subject, system=system, category=category, rule=rule)
    sweep.sweep_inline(today=datetime.date(2026, 11, 22))
    batch = DisposalBatch.objects.get()
    dpo = make_user(Role.DPO, organisation)
    hold = services.place_hold(
        organisation=organisation, actor=dpo, reason="Court", subject=subject
    )
    consent = make_consent(subject, make_activity(organisation))
    disclosure = Disclosure.objects.create(
        organisation=organisation,
        recipient=make_recipient(organisation),
        disclosed_on=datetime.date(2026, 1, 5),
    )
    rows = {
        "retention.record": record,
        "register.datasubject": subject,
        "consent.consent": consent,
        "requests.subjectrequest": make_request(organisation),
        "retention.disposalbatch": batch,
        "retention.legalhold": hold,
        "audit.auditevent": AuditEvent.objects.filter(organisation=organisation).first(),
        "register.disclosure": disclosure,
    }
    return organisation, rows


def user_for(role, organisation):
    if role == "superuser":
        return make_user(superuser=True)
    return make_user(role, organisation)


def urls(label, pk):
    app, model = label.split(".")
    return (
        reverse(f"admin:{app}_{model}_changelist"),
        reverse(f"admin:{app}_{model}_delete", args=[pk]),
    )


@pytest.mark.parametrize("role", ROLES)
def test_no_role_can_delete_evidence_through_the_admin(client, evidence, role):
    organisation, rows = evidence
    client.force_login(user_for(role, organisation))
    for label, obj in rows.items():
        model = type(obj)
        changelist, delete = urls(label, obj.pk)

        listing = client.get(changelist)
        if listing.status_code == 200:
            assert b'value="delete_selected"' not in listing.content, label
        # The bulk action, posted by hand, deletes nothing.
        client.post(
            changelist, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
        )
        assert client.get(delete).status_code in {403, 404}, label
        assert client.post(delete, {"post": "yes"}).status_code in {403, 404}, label
        assert model._default_manager.filter(pk=obj.pk).exists(), label


def test_the_request_page_offers_no_delete_of_its_tasks(client, evidence):
    organisation, rows = evidence
    client.force_login(make_user(superuser=True))
    request = rows["requests.subjectrequest"]
    page = client.get(reverse("admin:requests_subjectrequest_change", args=[request.pk]))
    assert page.status_code == 200
    assert b'class="deletelink"' not in page.content
    assert b"-DELETE" not in page.content


def vocabulary(organisation):
    """Entries of each vocabulary model, each used by something else."""
    system, category = make_system(organisation), make_category(organisation)
    activity = make_activity(organisation)
    activity.categories.add(category)
    rule = make_rule(organisation, category=category)
    make_record(organisation, system=system, category=category, rule=rule)
    return {
        "register.system": system,
        "register.datacategory": category,
        "retention.retentionrule": rule,
    }


@pytest.mark.parametrize("role", [Role.DPO, "superuser"])
def test_vocabulary_in_use_cannot_be_deleted_and_the_page_says_why(client, role):
    organisation = retention_world()[0]
    client.force_login(user_for(role, organisation))
    for label, entry in vocabulary(organisation).items():
        changelist, delete = urls(label, entry.pk)
        page = client.get(delete)
        assert page.status_code == 200, label
        text = page.content.decode()
        assert "cannot be deleted while it is in use" in text, label
        assert "Record: 1" in text, label
        assert client.post(delete, {"post": "yes"}).status_code == 200
        bulk = client.post(
            changelist, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
        )
        assert "cannot be deleted while they are in use" in bulk.content.decode(), label
        assert type(entry)._default_manager.filter(pk=entry.pk).exists(), label


def test_a_category_used_only_by_an_activity_is_in_use(client):
    organisation = retention_world()[0]
    category = make_category(organisation)
    make_activity(organisation).categories.add(category)
    client.force_login(make_user(Role.DPO, organisation))
    page = client.get(reverse("admin:register_datacategory_delete", args=[category.pk]))
    assert "Processing activity: 1" in page.content.decode()
    client.post(reverse("admin:register_datacategory_delete", args=[category.pk]), {"post": "yes"})
    assert DataCategory.objects.filter(pk=category.pk).exists()


def test_an_unused_entry_is_deleted_with_its_audit_event(client):
    organisation = retention_world()[0]
    dpo = make_user(Role.DPO, organisation, first_name="Leyla", last_name="Həsənova")
    unused = make_system(organisation, code="old-crm", name="Old CRM")
    client.force_login(dpo)
    response = client.post(
        reverse("admin:register_system_delete", args=[unused.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not System.objects.filter(pk=unused.pk).exists()
    event = AuditEvent.objects.get(action="audit.entry_deleted")
    assert event.actor == dpo and event.target_id == str(unused.pk)
    assert event.details == {"model": "register.system", "code": "old-crm", "name": "Old CRM"}

    trail = client.get(reverse("admin:audit_auditevent_changelist")).content.decode()
    assert "Leyla Həsənova deleted “Old CRM” (old-crm), used nowhere" in trail


def test_unused_rules_go_in_bulk_each_with_its_event(client):
    organisation = retention_world()[0]
    rules = [make_rule(organisation), make_rule(organisation)]
    client.force_login(make_user(Role.DPO, organisation))
    client.post(
        reverse("admin:retention_retentionrule_changelist"),
        {"action": "delete_selected", "_selected_action": [r.pk for r in rules], "post": "yes"},
    )
    assert not RetentionRule.objects.filter(pk__in=[r.pk for r in rules]).exists()
    assert AuditEvent.objects.filter(action="audit.entry_deleted").count() == 2


def test_the_database_protects_records_and_holds_from_a_deleted_system():
    """PROTECT under the admin: code that deletes a used entry is refused as well."""
    from django.db.models import ProtectedError

    organisation, system, category, rule = retention_world()
    make_record(organisation, system=system, category=category, rule=rule)
    dpo = make_user(Role.DPO, organisation)
    other = make_system(organisation)
    services.place_hold(organisation=organisation, actor=dpo, reason="Audit", system=other)
    for entry in (system, rule, other):
        with pytest.raises(ProtectedError):
            entry.delete()
    assert Record.objects.count() == 1 and LegalHold.objects.count() == 1
