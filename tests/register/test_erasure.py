"""Erasing a data subject leaves nothing of them: not the row, its history, nor the admin log;
and the same person cannot come back through an import."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import DataSubject, Role
from dpo_portal.register.services import erase_subject
from tests.factories import make_organisation, make_subject, make_user
from tests.register.test_import import invalid_rows, upload


@pytest.fixture
def allall(db):
    return make_organisation("allall", name="AllAll Finance")


@pytest.fixture
def dpo(allall):
    return make_user(Role.DPO, allall, username="erasing-dpo")


@pytest.fixture
def subject(allall, dpo):
    subject = make_subject(
        allall,
        first_name="Aysel",
        last_name="Nağıyeva",
        fin="5ZK8R2T",
        phone="+994501112233",
        email="aysel.nagiyeva@example.az",
    )
    subject.phone = "+994551112233"
    subject.save()  # a second history row with personal data
    LogEntry.objects.log_actions(
        user_id=dpo.pk, queryset=[subject], action_flag=CHANGE, change_message="Changed phone."
    )
    return subject


def test_erasure_scrubs_the_row_its_history_and_the_admin_log(allall, dpo, subject):
    erase_subject(subject, actor=dpo, reason="request")

    subject.refresh_from_db()
    assert subject.is_erased
    assert all(getattr(subject, f) in ("", None) for f in DataSubject.PERSONAL_FIELDS)
    history = DataSubject.history.filter(id=subject.pk)
    assert history.count() == 1  # only the erasure itself, by the DPO
    assert history.get().history_user == dpo
    assert not DataSubject.history.filter(last_name="Nağıyeva").exists()
    assert not DataSubject.history.filter(fin="5ZK8R2T").exists()
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(DataSubject), object_id=str(subject.pk)
    )
    assert entries.exists()
    assert not any("Nağıyeva" in e.object_repr or "phone" in e.change_message for e in entries)
    event = AuditEvent.objects.get(action="register.subject_erased")
    assert event.actor == dpo and event.organisation == allall


def test_an_erased_person_cannot_be_added_again(allall, dpo, subject):
    erase_subject(subject, actor=dpo, reason="request")
    again = DataSubject(organisation=allall, first_name="A", fin="5zk8r2t")

    with pytest.raises(ValidationError, match="suppression list"):
        again.full_clean()


def test_an_import_that_brings_an_erased_fin_back_is_refused(client, allall, dpo, subject):
    erase_subject(subject, actor=dpo, reason="request")
    client.force_login(dpo)

    job = upload(
        client,
        ["allall,AF-9,Aysel,Nağıyeva,5ZK8R2T,+994700000001,new@example.az,\n"],
    )

    errors = invalid_rows(job)
    assert list(errors) == [2]
    assert any("suppression list" in reason for reason in errors[2])
    assert DataSubject.objects.filter(fin="5ZK8R2T").count() == 0
