"""A request being worked on fits a 1366x768 laptop, for the DPO who works it and the auditor who
reads it, in Azerbaijani and in English: no panel is wider than its box and the page no wider
than the window (a select sized by its longest option, a refusal ground with its citation or a
kept reason in Azerbaijani, once ran the page to 2,440 px). A deletion with one system's data
kept and a message sent, and a consent withdrawal. Screenshots under /tmp/request-page/."""

from pathlib import Path

import pytest

from consent.models import BasisKind
from requests import conversation, fulfilment
from requests.models import KeptReason, RequestKind
from retention.models import Record
from tests.consent.helpers import make_activity, make_consent
from tests.factories import Role, login, make_user
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    make_request,
    three_systems,
)

SHOTS = Path("/tmp/request-page")
WIDTH, HEIGHT = 1366, 768


def requests_being_worked_on(organisation, dpo):
    person = make_person(organisation)
    category = make_category(organisation, "identity", name="Identity")
    for system in three_systems(organisation):
        make_record(person, system, category)
        make_record(person, system, category)
    deletion = make_request(person, actor=dpo, kind=RequestKind.DELETION)
    fulfilment.open_tasks_for(deletion, actor=dpo)
    fulfilment.resolve_task(
        deletion.tasks.order_by("pk").first(),
        actor=dpo,
        resolution=fulfilment.Resolution.KEPT,
        kept_reason=KeptReason.AML_CFT,
        note="AML law",
    )
    conversation.write_to_person(deletion, body="Sənədlərinizi aldıq.", acting_user=dpo)
    activity = make_activity(organisation, basis_kind=BasisKind.CONSENT, name="SMS marketinq")
    consent = make_consent(person, activity)
    Record.objects.filter(pk=person.records.order_by("pk").first().pk).update(
        activity=activity, consent=consent
    )
    withdrawal = make_request(person, actor=dpo, kind=RequestKind.CONSENT_WITHDRAWAL)
    fulfilment.open_tasks_for(withdrawal, actor=dpo)
    return {"deletion": deletion, "withdrawal": withdrawal}


@pytest.mark.parametrize("language", ["az", "en"])
@pytest.mark.parametrize("role", [Role.DPO, Role.AUDITOR])
def test_a_request_being_worked_on_is_no_wider_than_a_laptop_window(
    page, live_server, role, language
):
    organisation, dpo = dpo_and_organisation()
    reader = dpo if role == Role.DPO else make_user(role, organisation, username="auditor-wide")
    pages = requests_being_worked_on(organisation, dpo)
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    login(page, live_server, reader.username)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )

    too_wide = []
    for name, request in pages.items():
        page.goto(f"{live_server.url}/admin/requests/subjectrequest/{request.pk}/change/")
        assert page.locator("#fulfilment-tasks").count() == 1, name
        width, window, panels = page.evaluate(
            """() => [document.scrollingElement.scrollWidth, window.innerWidth,
                      [...document.querySelectorAll(".request-panel")].map(
                          panel => [panel.id, panel.scrollWidth, panel.clientWidth])]"""
        )
        page.screenshot(path=str(SHOTS / f"{name}-{role}-{language}.png"), full_page=True)
        if width > window:
            too_wide.append(f"{name}: page {width} px in a {window} px window")
        too_wide += [
            f"{name}: {panel} {inner} px in a {box} px box"
            for panel, inner, box in panels
            if inner > box
        ]
    assert not too_wide, "\n".join(too_wide)
