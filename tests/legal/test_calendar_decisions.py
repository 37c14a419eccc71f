"""The Cabinet's calendar decisions, recorded in the admin, move the deadlines at once; the
package's estimated bayram dates are marked on the request page until a decision confirms them."""

import datetime
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from dpo_portal.jobs.models import Job
from dpo_portal.legal.models import CalendarDecision
from requests.models import SubjectRequest
from tests.factories import Role, make_organisation, make_user
from tests.requests.helpers import make_request

D = datetime.date


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def _received(day):
    return datetime.datetime.combine(day, datetime.time(12, tzinfo=timezone.get_current_timezone()))


def _wait_for_jobs(count):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if Job.objects.filter(status=Job.Status.DONE).count() >= count:
            return
        time.sleep(0.2)
    raise AssertionError(list(Job.objects.values_list("status", "message")))


def _decision_form(**fields):
    days = [
        ("2027-03-09", "Ramazan bayramı"),
        ("2027-03-10", "Ramazan bayramı"),
        ("2027-03-11", "Swapped day off"),
    ]
    form = {
        "country": "AZ",
        "year": "2027",
        "reference": "Cabinet decision No. 512, 2026-12-20",
        "source_url": "",
        "confirms_bayram_dates": "on",
        "days-TOTAL_FORMS": str(len(days)),
        "days-INITIAL_FORMS": "0",
        "days-MIN_NUM_FORMS": "0",
        "days-MAX_NUM_FORMS": "1000",
    }
    for n, (day, name) in enumerate(days):
        form.update({f"days-{n}-day": day, f"days-{n}-kind": "day_off", f"days-{n}-name": name})
    return {**form, **fields}


def test_a_cabinet_decision_moves_the_next_deadline_and_removing_it_moves_it_back(
    client, celery_worker_real
):
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    request = make_request(organisation, received_at=_received(D(2027, 3, 5)))
    # 8 Women's Day, 9–10 Ramazan (the package's estimate) | 11 12 15 16 17 18 19
    assert request.due_on == D(2027, 3, 19)
    client.force_login(dpo)
    page = reverse("admin:requests_subjectrequest_change", args=[request.pk])
    html = client.get(page).content.decode()
    assert "Eid al-Fitr (estimated)" in html and "estimated-mark" in html

    response = client.post(reverse("admin:legal_calendardecision_add"), _decision_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    _wait_for_jobs(1)
    # 9–11 off by the decision | 12 15 16 17 18 19 | Novruz 20–26 | 29
    assert SubjectRequest.objects.get(pk=request.pk).due_on == D(2027, 3, 29)
    html = client.get(page).content.decode()
    assert "estimated-mark" not in html and "(estimated)" not in html
    assert "Swapped day off" in html

    decision = CalendarDecision.objects.get()
    response = client.post(
        reverse("admin:legal_calendardecision_delete", args=[decision.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    _wait_for_jobs(2)
    assert SubjectRequest.objects.get(pk=request.pk).due_on == D(2027, 3, 19)
    assert "estimated-mark" in client.get(page).content.decode()


@pytest.mark.django_db
def test_the_decision_is_in_the_calendar_on_the_next_lookup_without_a_restart():
    from dpo_portal.legal.calendar import working_calendar
    from dpo_portal.legal.models import CalendarDay

    assert not working_calendar("AZ").is_working_day(D(2027, 3, 9))
    decision = CalendarDecision.objects.create(country="AZ", year=2027, reference="No. 1")
    CalendarDay.objects.create(decision=decision, day=D(2027, 3, 10), name="Ramazan bayramı")
    calendar = working_calendar("AZ")
    assert calendar.is_working_day(D(2027, 3, 9))  # the estimate is replaced
    assert not calendar.is_working_day(D(2027, 3, 10))
    assert not calendar.is_estimated(D(2027, 3, 10))
    CalendarDay.objects.filter(day=D(2027, 3, 10)).delete()
    assert working_calendar("AZ").is_working_day(D(2027, 3, 10))


@pytest.mark.django_db
def test_a_decision_dated_outside_its_year_is_refused_with_a_message(client):
    organisation = make_organisation()
    client.force_login(make_user(Role.DPO, organisation))
    form = _decision_form(**{"days-0-day": "2028-01-05"})
    response = client.post(reverse("admin:legal_calendardecision_add"), form)
    assert response.status_code == 200
    assert "The date must fall in the decision&#x27;s year 2027." in response.content.decode()
    assert not CalendarDecision.objects.exists()
