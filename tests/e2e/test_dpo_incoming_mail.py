"""A DPO works through the incoming mail in a real browser: two messages read from the real IMAP
server of the test services wait in the incoming-mail view; the DPO turns one into a deletion
request and discards the other as not a request. In Azerbaijani and English, with screenshots
at 1366x768 under /tmp/shots-i16-mailbox/."""

import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dpo_portal.register.models import Role
from requests.mailbox import fetch
from requests.mailbox.models import IncomingMail, IncomingMailStatus, Mailbox
from requests.models import RequestChannel, RequestKind, SubjectRequest
from tests.factories import login, make_organisation, make_user
from tests.requests import mailbox_helpers
from tests.requests.mailbox_helpers import append, make_mailbox, message

SHOTS = Path("/tmp/shots-i16-mailbox")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"0" * 1500
imap = mailbox_helpers.imap  # this test's folders on the real IMAP server (fixture)
private_storage = mailbox_helpers.private_storage  # fixture

WORDS = {
    "az": {
        "make": "Müraciətə çevirin",
        "not_request": "Müraciət deyil",
        "discarded": "müraciət olmadığı üçün ləğv edildi",
    },
    "en": {
        "make": "Turn into a request",
        "not_request": "Not a request",
        "discarded": "is discarded as not a request",
    },
}


@pytest.mark.parametrize("language", ["az", "en"])
def test_dpo_turns_one_message_into_a_deletion_request_and_discards_another(
    page, live_server, imap, language
):
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    qonshu = make_organisation("qonshu", name="Qonshu MMC", languages="az,en")
    make_user(Role.DPO, qonshu, username="dpo-nigar")
    mailbox = make_mailbox(qonshu, imap)
    sent_at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    append(
        imap,
        message(
            sender="Rəşad Məmmədov <rashad@example.az>",
            subject="Şəxsi məlumatlarımın silinməsi",
            text="Salam. Hesabımı bağlamışam, bütün şəxsi məlumatlarımı silin.",
            sent_at=sent_at,
            files=[("vesiqe.pdf", PDF, "application/pdf")],
        ),
        message(
            sender="news@supplier.example",
            subject="Yeni qiymət təklifimiz",
            text="Hörmətli tərəfdaş, yeni paketlərimiz haqqında.",
        ),
    )
    # What the beat task does every few minutes.
    assert fetch.fetch_mailbox(mailbox.pk).drafts == 2
    deletion = IncomingMail.objects.get(sender_email="rashad@example.az")
    promo = IncomingMail.objects.get(sender_email="news@supplier.example")
    words = WORDS[language]

    login(page, live_server, "dpo-nigar")
    with page.expect_navigation():
        page.select_option("#language-select", language)
    expect(page.locator("#incoming-mail")).to_contain_text("Qonshu MMC")
    page.screenshot(path=SHOTS / f"dashboard-dpo-{language}.png")

    page.goto(f"{live_server.url}/admin/requests/subjectrequest/")
    page.locator("#incoming-mail-link").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#result_list")).to_contain_text("Şəxsi məlumatlarımın silinməsi")
    page.screenshot(path=SHOTS / f"incoming-list-dpo-{language}.png")

    rows.filter(has_text=deletion.reference).get_by_role("link", name=deletion.reference).click()
    expect(page.locator("#mail-body")).to_contain_text("bütün şəxsi məlumatlarımı silin")
    expect(page.locator("#mail-files")).to_contain_text("vesiqe.pdf")
    expect(page.locator("#make-request-title")).to_have_text(words["make"])
    page.select_option("#id_kind", RequestKind.DELETION)
    page.screenshot(path=SHOTS / f"incoming-message-dpo-{language}.png", full_page=True)
    page.locator("#make-request-form input[type=submit]").click()

    request = SubjectRequest.objects.get()
    expect(page.locator(".messagelist")).to_contain_text(request.reference)
    expect(page).to_have_url(
        f"{live_server.url}/admin/requests/subjectrequest/{request.pk}/change/"
    )
    assert request.kind == RequestKind.DELETION
    assert request.channel == RequestChannel.EMAIL
    assert request.requester_email == "rashad@example.az"
    assert abs(request.received_at - sent_at) < datetime.timedelta(seconds=1)
    assert request.attachments.count() == 2  # the message as the application, and the PDF
    page.screenshot(path=SHOTS / f"request-from-mail-dpo-{language}.png")

    page.goto(f"{live_server.url}/admin/requests/incomingmail/")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name=promo.reference).click()
    expect(page.locator("#discard-title")).to_have_text(words["not_request"])
    page.locator("#discard-link").click()
    page.screenshot(path=SHOTS / f"discard-confirmation-dpo-{language}.png")
    page.locator("#confirm-discard").click()

    expect(page.locator(".messagelist")).to_contain_text(words["discarded"])
    expect(page.locator("#result_list")).to_have_count(0)
    promo.refresh_from_db()
    assert promo.status == IncomingMailStatus.DISCARDED
    assert (promo.sender_email, promo.subject, promo.body) == ("", "", "")
    assert SubjectRequest.objects.count() == 1


@pytest.mark.parametrize("language", ["az", "en"])
def test_dpo_reads_that_the_mailbox_password_is_not_set(page, live_server, language):
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    qonshu = make_organisation("qonshu", name="Qonshu MMC", languages="az,en")
    make_user(Role.DPO, qonshu, username="dpo-nigar")
    mailbox = Mailbox.objects.create(
        organisation=qonshu,
        host="imap.qonshu.example",
        username="dpo@qonshu.example",
        password_env="QONSHU_IMAP_PASSWORD_NOT_IN_THIS_ENVIRONMENT",
    )
    fetch.fetch_mailbox(mailbox.pk)  # the beat task's run: nothing tried without a password

    login(page, live_server, "dpo-nigar")
    with page.expect_navigation():
        page.select_option("#language-select", language)
    problem = (
        "Parolun mühit dəyişəni təyin olunmayıb"
        if language == "az"
        else "The password's environment variable is not set"
    )
    expect(page.locator("#incoming-mail .mailbox-problem")).to_contain_text(problem)

    page.goto(f"{live_server.url}/admin/requests/mailbox/{mailbox.pk}/change/")
    expect(page.locator(".field-password_state")).to_contain_text(
        "QONSHU_IMAP_PASSWORD_NOT_IN_THIS_ENVIRONMENT"
    )
    expect(page.locator("#id_security")).to_have_value("tls")
    page.screenshot(path=SHOTS / f"mailbox-settings-dpo-{language}.png", full_page=True)
