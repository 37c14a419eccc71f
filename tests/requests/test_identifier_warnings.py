"""Staff forms warn when a free text they just saved names the person it concerns: a task's
note, a request's outcome reason, the reason of an extension or a pause, a hold's release
reason (the disclosure note's form is in test_erasure_free_text.py). The warning names the
field and never repeats the identifier; the text is saved as written; a note without the
person's identifiers gets no warning."""

import pytest
from django.contrib.messages import constants
from django.urls import reverse

from requests import fulfilment
from requests.models import RequestKind, RequestStatus, RequestTask
from retention.models import LegalHold
from retention.services import place_hold
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    make_request,
    three_systems,
)

pytestmark = pytest.mark.django_db

WARNING = "names a person it concerns"


@pytest.fixture
def case(client):
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    system = three_systems(organisation)[0]
    make_record(person, system, make_category(organisation))
    request = make_request(person, actor=dpo)
    client.force_login(dpo)
    return dpo, person, request


def warnings_on(page):
    return [str(m) for m in page.context["messages"] if m.level == constants.WARNING]


def assert_warned_about(page, field, person):
    warnings = [w for w in warnings_on(page) if WARNING in w]
    assert len(warnings) == 1 and f"“{field}”" in warnings[0], warnings_on(page)
    for identifier in (person.first_name, person.last_name, person.fin, person.email):
        assert identifier.lower() not in warnings[0].lower()


def test_a_task_note_naming_the_person_is_saved_with_a_warning(client, case):
    dpo, person, request = case
    (task,) = fulfilment.open_tasks_for(request, actor=dpo)
    url = reverse("admin:requests_fulfil_resolve", args=[request.pk, task.pk])

    note = f"Deleted {person.last_name}'s rows, FIN {person.fin.lower()}."
    page = client.post(url, {"resolution": "erased", "note": note}, follow=True)

    assert_warned_about(page, "note", person)
    assert RequestTask.objects.get(pk=task.pk).note == note


def test_a_task_note_about_the_work_only_gets_no_warning(client, case):
    dpo, _person, request = case
    (task,) = fulfilment.open_tasks_for(request, actor=dpo)
    url = reverse("admin:requests_fulfil_resolve", args=[request.pk, task.pk])

    page = client.post(url, {"resolution": "erased", "note": "Rows deleted by ticket 4411."})

    page = client.get(page.url)
    assert not [w for w in warnings_on(page) if WARNING in w]


def test_an_extension_reason_naming_the_person_warns(client, case):
    _dpo, person, request = case
    url = reverse("admin:requests_extend", args=[request.pk])

    page = client.post(
        url, {"reason": f"The bureau must send the file of {person.email}."}, follow=True
    )

    assert_warned_about(page, "reason for the extension", person)


def test_a_pause_reason_naming_the_person_warns(client, case):
    _dpo, person, request = case
    url = reverse("admin:requests_identity", args=[request.pk, "request-info"])

    # The phone as staff type it, with other separators than the stored one.
    page = client.post(url, {"reason": "Call back on (55) 123-98-76 for the ID copy."}, follow=True)

    assert_warned_about(page, "reason", person)
    assert request.deadline_events.get().reason.startswith("Call back on (55)")


def test_an_outcome_reason_naming_the_person_warns(client, case):
    _dpo, person, request = case
    request.kind = RequestKind.CORRECTION
    request.save(update_fields=["kind"])
    url = reverse("admin:requests_transition", args=[request.pk])

    page = client.post(
        url,
        {
            "to": RequestStatus.REFUSED,
            "refusal_ground": "identity_not_established",
            "reason": f"{person.first_name} {person.last_name} could not show the ID card.",
        },
        follow=True,
    )

    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED, warnings_on(page)
    assert_warned_about(page, "outcome and its reasons", person)


def test_a_hold_release_reason_naming_the_person_warns(client, case):
    dpo, person, _request = case
    hold = place_hold(organisation=person.organisation, actor=dpo, reason="Claim", subject=person)
    url = reverse("admin:retention_legalhold_release", args=[hold.pk])

    page = client.post(url, {"reason": f"Claim of {person.last_name} settled."}, follow=True)

    assert LegalHold.objects.get(pk=hold.pk).released_at is not None
    assert_warned_about(page, "reason for release", person)
