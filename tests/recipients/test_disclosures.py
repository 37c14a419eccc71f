"""The disclosure log: one-off disclosures to state and law-enforcement bodies, listed on the data
subject's page, and never visible to another organisation."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import Disclosure, RecipientCategory, RecipientRole
from tests.factories import (
    Role,
    make_category,
    make_organisation,
    make_recipient,
    make_subject,
    make_user,
)

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    # Pages in English: the assertions read English labels, whatever the catalogues hold.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def make_body(organisation, name):
    return make_recipient(
        organisation,
        name=name,
        category=RecipientCategory.LAW_ENFORCEMENT,
        role=RecipientRole.AUTHORITY,
    )


def disclose(organisation, body, subjects, categories, reference):
    disclosure = Disclosure.objects.create(
        organisation=organisation,
        disclosed_on=datetime.date(2026, 5, 4),
        recipient=body,
        legal_basis="Law on Operational-Search Activity, art. 10",
        request_reference=reference,
    )
    disclosure.subjects.set(subjects)
    disclosure.categories.set(categories)
    return disclosure


@pytest.fixture
def world():
    allall, qonshu = make_organisation(name="AllAll Finance"), make_organisation(name="Qonshu app")
    subject_a, subject_b = make_subject(allall), make_subject(qonshu)
    a = disclose(
        allall,
        make_body(allall, "Baku Police Department"),
        [subject_a],
        [make_category(allall, name="Transactions")],
        "REQ-ALLALL-17",
    )
    b = disclose(
        qonshu,
        make_body(qonshu, "State Security Service"),
        [subject_b],
        [make_category(qonshu, name="Device data")],
        "REQ-QONSHU-3",
    )
    return {"allall": allall, "qonshu": qonshu, "a": a, "b": b, "subject_a": subject_a}


def test_an_officer_logs_a_disclosure_and_it_appears_on_the_subjects_page(client, world):
    allall = world["allall"]
    officer = make_user(Role.COMPLIANCE, allall)
    person = make_subject(allall)
    body = make_body(allall, "Prosecutor General's Office")
    category = make_category(allall, name="Identity data")
    response = signed_in(client, officer).post(
        reverse("admin:register_disclosure_add"),
        {
            "organisation": allall.pk,
            "disclosed_on": "2026-06-01",
            "recipient": body.pk,
            "legal_basis": "Criminal Procedure Code, art. 143",
            "request_reference": "PGO-2026-881",
            "subjects": [person.pk],
            "categories": [category.pk],
            "note": "Court order attached",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(reverse("admin:register_datasubject_change", args=[person.pk]))
    html = page.content.decode()
    assert "Disclosures to state and law-enforcement bodies" in html
    assert "PGO-2026-881" in html and "Prosecutor General" in html
    assert "REQ-ALLALL-17" not in html  # about someone else
    event = AuditEvent.objects.get(action="register.disclosure_logged")
    assert event.details["subjects"] == 1
    assert person.last_name not in str(event.details)


def test_disclosures_of_one_organisation_never_show_in_anothers_views(client, world):
    officer = make_user(Role.COMPLIANCE, world["qonshu"])
    signed_in(client, officer)
    listing = client.get(reverse("admin:register_disclosure_changelist")).content.decode()
    assert "REQ-QONSHU-3" in listing
    assert "REQ-ALLALL-17" not in listing and "Baku Police" not in listing
    other = world["a"].pk
    assert client.get(reverse("admin:register_disclosure_change", args=[other])).status_code == 404
    assert client.get(reverse("admin:register_disclosure_history", args=[other])).status_code == 404
    subject_a = world["subject_a"].pk
    assert (
        client.get(reverse("admin:register_datasubject_change", args=[subject_a])).status_code
        == 404
    )
    search = client.get(reverse("admin:register_disclosure_changelist"), {"q": "REQ-ALLALL"})
    assert "REQ-ALLALL-17" not in search.content.decode()


def test_a_disclosure_cannot_name_another_organisations_subject(client, world):
    allall, qonshu = world["allall"], world["qonshu"]
    officer = make_user(Role.COMPLIANCE, allall, qonshu)
    response = signed_in(client, officer).post(
        reverse("admin:register_disclosure_add"),
        {
            "organisation": allall.pk,
            "disclosed_on": "2026-06-01",
            "recipient": world["a"].recipient_id,
            "legal_basis": "Law on Police, art. 19",
            "request_reference": "MIX-1",
            "subjects": [make_subject(qonshu).pk],
            "categories": [world["a"].categories.get().pk],
        },
    )
    assert response.status_code == 200
    assert "belongs to another organisation" in response.content.decode()
    assert not Disclosure.objects.filter(request_reference="MIX-1").exists()


def test_only_state_and_law_enforcement_bodies_receive_disclosures(client, world):
    allall = world["allall"]
    officer = make_user(Role.COMPLIANCE, allall)
    processor = make_recipient(allall, name="Cloud Storage")
    response = signed_in(client, officer).post(
        reverse("admin:register_disclosure_add"),
        {
            "organisation": allall.pk,
            "disclosed_on": "2026-06-01",
            "recipient": processor.pk,
            "legal_basis": "none",
            "request_reference": "X-1",
            "subjects": [world["subject_a"].pk],
            "categories": [world["a"].categories.get().pk],
        },
    )
    assert response.status_code == 200
    assert not Disclosure.objects.filter(request_reference="X-1").exists()


def test_managers_do_not_see_the_disclosure_log(client, world):
    manager = make_user(Role.MANAGER, world["allall"])
    response = signed_in(client, manager).get(reverse("admin:register_disclosure_changelist"))
    assert response.status_code == 403


def test_an_auditor_reads_the_disclosures_on_the_subjects_page(client, world):
    auditor = make_user(Role.AUDITOR, world["allall"])
    subject = world["subject_a"].pk
    html = (
        signed_in(client, auditor)
        .get(reverse("admin:register_datasubject_change", args=[subject]))
        .content.decode()
    )
    assert "REQ-ALLALL-17" in html and "Baku Police Department" in html
