"""The request lifecycle in a real browser: the empty request of the demo case is refused at
closing with what is missing; a DPO phoned by a resident finds the case by a name typed without
Azerbaijani letters and by the FIN, opens the tasks, and the system's owner finds theirs under
"My tasks" and resolves it."""

from playwright.sync_api import expect

from dpo_portal.register.models import Role
from requests import services
from requests.models import RequestKind, SubjectRequest
from tests.factories import login, make_organisation, make_system, make_user
from tests.requests.fulfilment_helpers import make_category, make_person, make_record
from tests.requests.fulfilment_helpers import make_request as make_matched_request
from tests.requests.helpers import make_request


def test_the_empty_request_is_refused_at_closing_with_what_is_missing(page, live_server):
    organisation = make_organisation(name="AllAll Finance")
    dpo = make_user(Role.DPO, organisation, username="dpo-dilara")
    empty = make_request(
        organisation, kind=RequestKind.DELETION, requester_name="", requester_address="Bakı"
    )
    services.start_handling(empty, actor=dpo)

    login(page, live_server, "dpo-dilara")
    page.goto(f"{live_server.url}/admin/requests/subjectrequest/{empty.pk}/change/")
    select = page.locator("#transition-to")
    # Only what the lifecycle allows from "In progress", nothing chosen in advance.
    expect(select).to_have_value("")
    expect(select.locator("option")).to_have_text(
        ["—", "Pause: wait for information", "Complete", "Complete in part", "Refuse",
         "Withdrawn by the requester"]
    )  # fmt: skip
    select.select_option("completed")
    page.locator("#transition-submit").click()

    errors = page.locator(".messagelist .error")
    expect(errors).to_contain_text("The requester's identity is not verified.")
    expect(errors).to_contain_text("No data subject is matched")
    empty.refresh_from_db()
    assert empty.status == "in_progress"


def test_a_dpo_finds_the_case_by_name_and_fin_and_the_system_owner_resolves_its_task(
    page, live_server
):
    organisation = make_organisation(name="AllAll Finance", languages="en")
    dpo = make_user(Role.DPO, organisation, username="dpo-dilara")
    owner = make_user(Role.DPO, organisation, username="crm-owner", first_name="Rauf")
    person = make_person(organisation, first_name="Şəfiqə", last_name="Çələbiyeva")
    crm = make_system(organisation, "crm", name="CRM", owner_user=owner)
    make_record(person, crm, make_category(organisation, "contact", name="Contact"))
    case = make_matched_request(person, actor=dpo)
    make_request(organisation, requester_name="Rəşad Quliyev", requester_fin="2AB3CD4")

    login(page, live_server, "dpo-dilara")
    page.goto(f"{live_server.url}/admin/requests/subjectrequest/")
    rows = page.locator("#result_list tbody tr")
    for typed in ("celebiyeva", person.fin.lower()):
        page.fill("#searchbar", typed)
        page.locator("#changelist-search input[type=submit]").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(case.reference)
    rows.first.get_by_role("link", name=case.reference).click()

    page.locator("#open-tasks").click()
    task_row = page.locator("#fulfilment-tasks tbody tr", has_text="CRM")
    expect(task_row.locator(".task-owner")).to_contain_text("crm-owner")

    page.context.clear_cookies()
    login(page, live_server, "crm-owner")
    page.goto(f"{live_server.url}/admin/requests/subjectrequest/")
    page.get_by_role("link", name="My tasks").click()
    mine = page.locator("#result_list tbody tr")
    expect(mine).to_have_count(1)
    expect(mine.first).to_contain_text("CRM")
    mine.first.get_by_role("link", name=case.reference).click()

    resolve = page.locator("#fulfilment-tasks form.resolve-task")
    expect(resolve.locator("select[name=resolution]")).to_have_value("")
    resolve.locator("select[name=resolution]").select_option("erased")
    resolve.get_by_role("button", name="Resolve").click()
    expect(page.locator(".messagelist")).to_contain_text("CRM: Done.")
    expect(page.locator("#complete-request")).to_be_visible()
    assert SubjectRequest.objects.get(pk=case.pk).tasks.get().resolved_by == owner
