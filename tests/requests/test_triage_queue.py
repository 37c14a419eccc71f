"""The triage queue: most urgent first, marked by urgency, filtered, and taken by a DPO."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests.models import RequestStatus, SubjectRequest, Urgency
from tests.factories import Role, make_organisation, make_user
from tests.requests.helpers import make_request

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:requests_subjectrequest_changelist"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def queue():
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    requests = {
        "on_track": make_request(organisation, due_in_days=30),
        "paused": make_request(organisation, due_in_days=-5, status=RequestStatus.PAUSED),
        "overdue": make_request(organisation, due_in_days=-1),
        "due_soon": make_request(organisation, due_in_days=0),
        "closed": make_request(organisation, due_in_days=-9, status=RequestStatus.COMPLETED),
    }
    return organisation, dpo, requests


def references_in_order(html):
    # A row names its reference more than once (link, checkbox label): keep the first.
    return list(dict.fromkeys(re.findall(r"DSR-\d{4}-\d{5}", html)))


def test_queue_lists_open_requests_most_urgent_first_with_their_marks(client, queue):
    _organisation, dpo, requests = queue
    client.force_login(dpo)
    html = client.get(reverse(CHANGELIST)).content.decode()

    order = [requests[k].reference for k in ("overdue", "due_soon", "on_track", "paused")]
    assert [ref for ref in references_in_order(html) if ref in order] == order
    assert requests["closed"].reference not in html
    for urgency in ("overdue", "due_soon", "on_track", "paused"):
        assert f"urgency-{urgency}" in html
    assert 'class="urgency urgency-overdue flag-bad"' in html


@pytest.mark.parametrize("urgency", ["overdue", "due_soon", "on_track", "paused"])
def test_urgency_filter_shows_only_that_urgency(client, queue, urgency):
    _organisation, dpo, requests = queue
    client.force_login(dpo)
    html = client.get(reverse(CHANGELIST), {"urgency": urgency}).content.decode()
    assert references_in_order(html) == [requests[urgency].reference]


def test_due_soon_counts_working_days_not_calendar_days():
    organisation = make_organisation()
    # Friday 13 March 2026: the next two working days are 16 and 17 March.
    on = datetime.date(2026, 3, 13)
    soon = make_request(organisation)
    later = make_request(organisation)
    SubjectRequest.objects.filter(pk=soon.pk).update(due_on=datetime.date(2026, 3, 17))
    SubjectRequest.objects.filter(pk=later.pk).update(due_on=datetime.date(2026, 3, 18))
    urgencies = dict(SubjectRequest.objects.with_urgency(on).values_list("pk", "urgency"))
    assert urgencies == {soon.pk: Urgency.DUE_SOON, later.pk: Urgency.ON_TRACK}


def test_closed_requests_are_one_filter_away(client, queue):
    _organisation, dpo, requests = queue
    client.force_login(dpo)
    html = client.get(reverse(CHANGELIST), {"state": "closed"}).content.decode()
    assert references_in_order(html) == [requests["closed"].reference]


def test_the_list_costs_the_same_queries_for_few_or_many_requests(client, queue):
    organisation, dpo, _requests = queue
    client.force_login(dpo)
    client.get(reverse(CHANGELIST))  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(CHANGELIST))
    for days in range(12):
        make_request(organisation, due_in_days=days - 3, assignee=dpo)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(CHANGELIST))
    assert len(many) == len(few)


def test_another_organisations_requests_stay_out_of_the_queue(client, queue):
    _organisation, dpo, _requests = queue
    other = make_organisation()
    foreign = make_request(other, due_in_days=-3)
    client.force_login(dpo)
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert f"/subjectrequest/{foreign.pk}/change/" not in html
    page = reverse("admin:requests_subjectrequest_change", args=[foreign.pk])
    assert client.get(page).status_code == 404


def test_assign_to_me_asks_for_confirmation_then_fills_my_queue(client, queue):
    _organisation, dpo, requests = queue
    client.force_login(dpo)
    chosen = [requests["overdue"].pk, requests["due_soon"].pk]
    data = {"action": "assign_to_me", "_selected_action": chosen}

    confirmation = client.post(reverse(CHANGELIST), data)
    assert confirmation.status_code == 200
    assert "Take these 2 requests into your queue?" in confirmation.content.decode()
    assert SubjectRequest.objects.filter(assignee=dpo).count() == 0

    client.post(reverse(CHANGELIST), {**data, "post": "yes"})
    mine = client.get(reverse(CHANGELIST), {"assignee": "me"}).content.decode()
    assert set(references_in_order(mine)) == {
        requests["overdue"].reference,
        requests["due_soon"].reference,
    }


def test_bulk_assignment_to_a_colleague(client, queue):
    organisation, dpo, requests = queue
    colleague = make_user(Role.DPO, organisation)
    outsider = make_user(Role.DPO, make_organisation())
    client.force_login(dpo)
    data = {
        "action": "assign_selected",
        "_selected_action": [requests["on_track"].pk],
        "post": "yes",
    }
    client.post(reverse(CHANGELIST), {**data, "assignee": outsider.pk})
    assert SubjectRequest.objects.get(pk=requests["on_track"].pk).assignee is None

    client.post(reverse(CHANGELIST), {**data, "assignee": colleague.pk})
    assert SubjectRequest.objects.get(pk=requests["on_track"].pk).assignee == colleague


def test_an_auditor_reads_the_queue_but_cannot_assign(client, queue):
    organisation, _dpo, requests = queue
    auditor = make_user(Role.AUDITOR, organisation)
    client.force_login(auditor)
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert requests["overdue"].reference in html
    assert "assign_to_me" not in html
    page = reverse("admin:requests_assign_to_me", args=[requests["overdue"].pk])
    assert client.post(page).status_code == 403
