"""A DPO adds a version of the Azerbaijani regime effective next month with a shorter refusal
period: the portal lists the open requests it would move before saving, saving recomputes them
in the background, and a request received after the date follows the new period."""

import datetime
import time

from playwright.sync_api import expect

from dpo_portal.jobs.models import Job
from dpo_portal.legal.admin import first_of_next_month
from dpo_portal.legal.models import RegimeVersion
from requests.models import SubjectRequest
from tests.factories import Role, login, make_organisation, make_user
from tests.requests.helpers import make_request


def _at_noon(day):
    from django.utils import timezone

    return datetime.datetime.combine(day, datetime.time(12, tzinfo=timezone.get_current_timezone()))


def test_dpo_adds_a_regime_version_and_later_requests_follow_it(
    page, live_server, celery_worker_real
):
    from django.utils import timezone

    organisation = make_organisation(regime="az", name="AllAll Finance")
    dpo = make_user(Role.DPO, organisation)
    switch = first_of_next_month(timezone.localdate())
    before = make_request(organisation, received_at=_at_noon(timezone.localdate()))
    # Entered ahead, e.g. a dated application: it is received after the switch.
    after = make_request(organisation, received_at=_at_noon(switch + datetime.timedelta(days=3)))
    old_refusal_due = after.refusal_due_on
    shipped = RegimeVersion.objects.of_regime("az").get()

    login(page, live_server, dpo.username)
    page.goto(f"{live_server.url}/admin/legal/regimeversion/{shipped.pk}/change/")
    page.click("#new-version-link")
    expect(page.locator("#id_effective_from")).to_have_value(switch.isoformat())
    page.fill("#id_name_en", "Law on Personal Data Protection")
    page.fill("#id_name_az", "Fərdi məlumatların mühafizəsi haqqında Qanun")
    page.fill("#id_refusal_count", "3")
    page.click("input[name=_save]")

    table = page.locator("#moved-requests")
    expect(table).to_contain_text(after.reference)
    expect(table).not_to_contain_text(before.reference)
    assert (
        RegimeVersion.objects.of_regime("az").count() == 1
    )  # nothing saved before the confirmation
    page.click("text=Save and recompute these deadlines")
    expect(page.locator(".messagelist")).to_contain_text("recomputed in the background")

    deadline = time.monotonic() + 60
    while Job.objects.filter(status=Job.Status.DONE).count() < 1:
        assert time.monotonic() < deadline, list(Job.objects.values_list("status", "message"))
        time.sleep(0.3)
    new = RegimeVersion.objects.get(effective_from=switch)
    assert new.kinds.count() == shipped.kinds.count()  # started as a copy of its predecessor
    assert SubjectRequest.objects.get(pk=after.pk).regime_version == new
    assert SubjectRequest.objects.get(pk=before.pk).regime_version == shipped

    page.goto(f"{live_server.url}/admin/requests/subjectrequest/{after.pk}/change/")
    expect(page.locator("#rules-followed")).to_contain_text("Law on Personal Data Protection")
    expect(page.locator("#rules-followed")).to_contain_text("refusal within 3 working days")
    refusal = SubjectRequest.objects.get(pk=after.pk).refusal_due_on
    assert refusal < old_refusal_due
    page.goto(f"{live_server.url}/admin/requests/subjectrequest/{before.pk}/change/")
    expect(page.locator("#rules-followed")).to_contain_text("refusal within 5 working days")
