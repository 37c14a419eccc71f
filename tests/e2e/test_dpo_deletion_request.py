"""A DPO takes a new deletion request from the queue to its letter: matches the person, verifies
their identity, resolves one task per system (the AML archive is kept under a legal hold),
completes it as partially completed, prints the letter, and sees it leave the open queue."""

import re

from playwright.sync_api import expect

from requests import services
from requests.models import RequestChannel, RequestKind, RequestStatus, SubjectRequest
from retention.models import RecordStatus
from retention.services import place_hold
from tests.factories import login
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    three_systems,
)


def test_dpo_takes_a_deletion_request_end_to_end(page, live_server):
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    core, crm, aml = three_systems(organisation)
    category = make_category(organisation, "identity", name="Identity")
    records = [make_record(person, system, category) for system in (core, crm, aml)]
    place_hold(
        organisation=organisation,
        actor=dpo,
        reason="AML/CFT law: screening files are kept 5 years",
        reference="AML-2026-7",
        record=records[2],
    )
    request = services.register_request(
        SubjectRequest(
            organisation=organisation,
            kind=RequestKind.DELETION,
            channel=RequestChannel.PAPER_WITH_ID,
            requester_name=f"{person.first_name} {person.last_name}",
            requester_fin=person.fin,
            requester_email=person.email,
        ),
        actor=None,
    )

    login(page, live_server, dpo.username)
    page.goto("/admin/requests/subjectrequest/")
    page.get_by_role("link", name=request.reference).click()

    # Match the person among the candidates sharing an identifier.
    candidates = page.locator("#match-candidates")
    expect(candidates).to_contain_text(person.fin)
    candidates.get_by_role("button", name="Match").click()
    expect(page.locator("#subject-panel")).to_contain_text("Matched to")

    # Verify the identity from the ID document copy that came with the application.
    page.select_option("#identity-method", "id_document_copy")
    page.get_by_role("button", name="Identity verified").click()
    expect(page.locator("#identity-panel")).to_contain_text("Verified")

    # The records by system, with the held one flagged; one task per system.
    expect(page.locator("#records-by-system")).to_contain_text("held: cannot be disposed")
    page.locator("#open-tasks").click()
    tasks = page.locator("#fulfilment-tasks")
    expect(tasks.locator("tbody tr")).to_have_count(3)
    for code in ("core-banking", "crm", "aml-archive"):
        row = tasks.locator(f'tr[data-system="{code}"]')
        row.locator('select[name="resolution"]').select_option("erased")
        row.get_by_role("button", name="Resolve").click()
        expect(tasks.locator(f'tr[data-system="{code}"] .task-status')).not_to_have_text("Open")
    expect(tasks.locator('tr[data-system="aml-archive"] .task-status')).to_contain_text(
        "Under a legal hold"
    )
    expect(tasks.locator('tr[data-system="crm"] .task-status')).to_contain_text("Done")

    # Complete, after the confirmation page says what will happen.
    page.locator("#complete-request").click()
    expect(page.locator("#content-main")).to_contain_text("Partially completed")
    expect(page.locator("#kept-explanation")).to_contain_text("AML screening archive")
    # The answer goes out as the request is closed, before the person is erased.
    page.select_option("#letter-channel", "email")
    page.select_option("#letter-language-final", "en")
    page.locator("#confirm-complete").click()
    expect(page.locator("#handling-panel")).to_contain_text("Partially completed")
    expect(page.locator("#letters")).to_contain_text("Accepted by the mail server")

    # The letter kept: what was done in each system, and why part of the data is kept.
    page.locator("#letters a", has_text="Answer").click()
    letter = page.locator("#letter-body")
    expect(letter).to_contain_text(request.reference)
    expect(letter).to_contain_text("AML screening archive")
    expect(letter).to_contain_text("stays only while the legal requirement named for it applies")
    expect(page.locator("#letter-sheet")).not_to_contain_text(person.last_name)

    # The open queue no longer has it.
    page.goto("/admin/requests/subjectrequest/")
    expect(page.locator("#result_list, #changelist")).not_to_contain_text(request.reference)
    expect(page.get_by_role("link", name=re.compile(request.reference))).to_have_count(0)

    request.refresh_from_db()
    assert request.status == RequestStatus.PARTIALLY_COMPLETED
    statuses = sorted(r.status for r in type(records[0]).objects.filter(subject=person))
    assert statuses == sorted([RecordStatus.DISPOSED, RecordStatus.DISPOSED, RecordStatus.ACTIVE])
