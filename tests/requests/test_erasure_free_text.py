"""Erasure leaves no trace in free text: a person named in a disclosure note, a task note, an
outcome reason, a legal hold and a consent's admin log line is, after their deletion request is
completed, in no text or JSON column of any table, history tables and the admin log included, in
any of the forms staff write them (as typed, normalised, upper or lower case)."""

import datetime

import pytest
from django.contrib.admin.models import CHANGE, LogEntry

from dpo_portal.register.erasure import REDACTED, Identifiers, identifier_warnings
from dpo_portal.register.models import DataCategory, Disclosure, RecipientCategory, RecipientRole
from requests import fulfilment
from requests.models import RequestTask
from retention.services import place_hold, release_hold
from tests.consent.helpers import make_activity, make_consent
from tests.factories import make_recipient
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    make_request,
    three_systems,
)
from tests.requests.test_deletion_request import tables_containing

pytestmark = pytest.mark.django_db


def forms_of(person):
    """Every spelling of the person's identifiers the scan looks for."""
    typed = [
        person.first_name,
        person.last_name,
        f"{person.first_name} {person.last_name}",
        person.fin,
        person.email,
        person.phone,
        person.id_document_number,
        "055 123 98 76",  # the phone as a colleague typed it in a note
    ]
    forms = set()
    for value in typed:
        forms.update({value, value.upper(), value.lower()})
    forms.add(person.fin.lower())
    forms.add("551239876")
    return sorted(forms)


@pytest.fixture
def named_everywhere():
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation, id_document_number="AA1234567")
    other = make_person(
        organisation,
        first_name="Orxan",
        last_name="Başqa",
        fin="5ZK8R2T",
        phone="+994701112233",
        email="orxan@example.az",
    )
    core, crm, _aml = three_systems(organisation)
    identity = make_category(organisation, "identity", name="Identity")
    make_record(person, core, identity)
    make_record(person, crm, identity)
    make_record(other, crm, identity)
    police = make_recipient(
        organisation,
        name="Police department",
        category=RecipientCategory.LAW_ENFORCEMENT,
        role=RecipientRole.AUTHORITY,
    )
    disclosure = Disclosure.objects.create(
        organisation=organisation,
        recipient=police,
        disclosed_on=datetime.date(2026, 11, 2),
        legal_basis="Law on Police, art. 12",
        request_reference="POL-77",
        note=f"Police asked about {person.first_name} {person.last_name} ({person.fin}).",
    )
    disclosure.subjects.add(person, other)
    disclosure.note += f" Also their e-mail {person.email.upper()}; about {other.last_name} too."
    disclosure.save()  # a second history row, naming them again

    activity = make_activity(organisation, "5-1-a-contract", name="Service contracts")
    consent = make_consent(person, activity)
    LogEntry.objects.log_actions(
        user_id=dpo.pk, queryset=[consent], action_flag=CHANGE, single_object=True
    )
    hold = place_hold(
        organisation=organisation,
        actor=dpo,
        reason=f"Court case of {person.last_name}, ID {person.id_document_number}",
        reference="CASE-2026-3",
        subject=person,
    )
    release_hold(hold, actor=dpo, reason=f"Case of {person.first_name} closed")

    request = make_request(person, actor=dpo)
    for task in fulfilment.open_tasks_for(request, actor=dpo):
        fulfilment.resolve_task(
            task,
            actor=dpo,
            resolution=fulfilment.Resolution.ERASED,
            note=f"Deleted {person.last_name}'s rows; called 055 123 98 76 to confirm.",
        )
    return dpo, person, other, request


def test_a_person_named_in_free_text_is_in_no_column_after_erasure(named_everywhere):
    dpo, person, other, request = named_everywhere
    needles = forms_of(person)
    before = tables_containing(*needles)
    # The scan does find them before, in the places the issue names.
    assert "register_disclosure.note" in before[person.fin]
    assert "register_historicaldisclosure.note" in before[person.email.upper()]
    assert "requests_requesttask.note" in before["055 123 98 76"]
    assert "django_admin_log.object_repr" in before[person.last_name]

    fulfilment.complete_request(request, actor=dpo, reason=f"Package sent to {person.email}")

    assert tables_containing(*needles) == {}
    # What the notes said about the case, and about the other person, is still there.
    disclosure = Disclosure.objects.get(request_reference="POL-77")
    assert disclosure.note.startswith(f"Police asked about {REDACTED} ({REDACTED}).")
    assert other.last_name in disclosure.note
    assert tables_containing(other.last_name, other.fin)
    task = RequestTask.objects.filter(request=request).first()
    assert "to confirm" in task.note and REDACTED in task.note


def test_identifiers_are_found_in_every_spelling():
    organisation, _dpo = dpo_and_organisation()
    person = make_person(organisation, id_document_number="AA1234567")
    identifiers = Identifiers(person)
    for text in [
        f"call {person.phone}",
        "call 055 123 98 76",
        "(55) 123-98-76",
        person.fin.lower(),
        person.email.upper(),
        "aa1234567",
        f"{person.last_name.upper()} said",
    ]:
        assert identifiers.found_in(text), text
    assert not identifiers.found_in("Police asked about a customer, file 2026/11.")


def test_a_staff_form_is_warned_when_a_note_names_the_person(named_everywhere):
    _dpo, person, _other, _request = named_everywhere
    disclosure = Disclosure.objects.get(request_reference="POL-77")
    assert identifier_warnings(disclosure)
    disclosure.note = "Police asked about a customer under file POL-77."
    assert identifier_warnings(disclosure) == []


def test_the_disclosure_form_warns_when_its_note_names_the_person(client, named_everywhere):
    dpo, person, _other, _request = named_everywhere
    disclosure = Disclosure.objects.get(request_reference="POL-77")
    client.force_login(dpo)
    url = f"/admin/register/disclosure/{disclosure.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {
        name: (value.pk if hasattr(value, "pk") else value)
        for name, value in form.initial.items()
        if name in form.fields and value is not None
    }
    data["subjects"] = [person.pk]
    data["categories"] = [
        DataCategory.objects.get(organisation=person.organisation, code="identity").pk
    ]
    data["note"] = f"Asked again about {person.last_name}."

    page = client.post(url, data, follow=True)

    assert page.redirect_chain, page.context["adminform"].form.errors
    assert "names a person it concerns" in page.content.decode()
