"""Mailbox intake against a real IMAP server (dovecot, started by tests/services.sh): messages
become drafts in the incoming-mail view, a reply quoting a request's reference joins its
conversation, a duplicate Message-ID is taken once, the sender is acknowledged, every message
is moved to the processed folder; the DPO turns a draft into a request or discards it; a server
that is down makes the task retry and the dashboard say so."""

import datetime
import logging
import time

import pytest
from django.core import mail as outbox
from django.urls import reverse
from django.utils import timezone

from dpo_portal.audit.models import AuditEvent
from requests import attachments, conversation, services, tasks
from requests.mailbox import fetch
from requests.mailbox import services as mailbox_services
from requests.mailbox.models import (
    IncomingMail,
    IncomingMailStatus,
    Mailbox,
    MailboxProblem,
    MailboxSecurity,
)
from requests.models import (
    AttachmentKind,
    RequestChannel,
    RequestKind,
    SubjectRequest,
)
from tests.factories import Role, make_organisation, make_user
from tests.requests import mailbox_helpers
from tests.requests.mailbox_helpers import (
    append,
    closed_port,
    folder_subjects,
    make_mailbox,
    message,
)

pytestmark = pytest.mark.django_db
imap = mailbox_helpers.imap  # this test's folders on the real IMAP server (fixture)
private_storage = mailbox_helpers.private_storage  # fixture

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"0" * 1500
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 300
DELETION_TEXT = "Salam. Xahiş edirəm bütün şəxsi məlumatlarımı silin. FIN 5ZK8R2T."


@pytest.fixture
def qonshu():
    return make_organisation("qonshu", name="Qonshu MMC", languages="az,en")


@pytest.fixture
def dpo(qonshu):
    return make_user(Role.DPO, qonshu, username="dpo-qonshu")


def open_request(organisation, dpo, *, email):
    request = SubjectRequest(
        organisation=organisation,
        kind=RequestKind.ACCESS,
        channel=RequestChannel.EMAIL,
        requester_name="Aysel Həsənova",
        requester_email=email,
    )
    return services.register_request(request, actor=dpo)


def fill_mailbox(server, request):
    sent_at = timezone.now() - datetime.timedelta(days=2)
    deletion = message(
        sender="Rəşad Məmmədov <rashad@example.az>",
        subject="Məlumatlarımın silinməsi",
        text=DELETION_TEXT,
        message_id="<deletion-1@example.az>",
        sent_at=sent_at,
    )
    reply = message(
        sender="Aysel Həsənova <aysel@example.az>",
        subject=f"Re: {request.reference}",
        text="Şəxsiyyət vəsiqəmin surəti əlavə olunur.",
        files=[("vesiqe.pdf", PDF, "application/pdf")],
    )
    with_files = message(
        sender="leyla@example.az",
        subject="Ərizə",
        text="Ərizəm əlavədədir.",
        files=[("erize.pdf", PDF, "application/pdf"), ("setup.exe", EXE, "application/x-exe")],
    )
    append(server, deletion, reply, with_files, deletion)
    return sent_at


def test_mailbox_gives_one_draft_per_message_threads_the_reply_and_ignores_the_duplicate(
    qonshu, dpo, imap, private_storage, caplog, django_capture_on_commit_callbacks
):
    mailbox = make_mailbox(qonshu, imap)
    request = open_request(qonshu, dpo, email="aysel@example.az")
    sent_at = fill_mailbox(imap, request)
    outbox.outbox.clear()
    caplog.set_level(logging.DEBUG)

    with django_capture_on_commit_callbacks(execute=True):
        counts = tasks.fetch_mailbox.apply(args=[mailbox.pk]).get()

    assert counts == {"drafts": 2, "threaded": 1, "duplicates": 1}
    drafts = {m.sender_email: m for m in IncomingMail.objects.filter(status="draft")}
    assert set(drafts) == {"rashad@example.az", "leyla@example.az"}
    deletion = drafts["rashad@example.az"]
    assert deletion.sender_name == "Rəşad Məmmədov"
    assert deletion.subject == "Məlumatlarımın silinməsi"
    assert deletion.body == DELETION_TEXT
    assert abs(deletion.sent_at - sent_at) < datetime.timedelta(seconds=1)
    # The PDF is kept under the attachment rules; the program is refused but shown as come.
    files = {f.original_name: f for f in drafts["leyla@example.az"].files.all()}
    assert files["erize.pdf"].kept and files["erize.pdf"].file_type == "PDF"
    assert attachments.storage().open(files["erize.pdf"].stored_name).read() == PDF
    assert not files["setup.exe"].kept and not files["setup.exe"].stored_name
    # The reply is in the request's conversation, with its file; no draft of its own.
    (reply,) = conversation.messages_of(request)
    assert reply.body == "Şəxsiyyət vəsiqəmin surəti əlavə olunur."
    assert [a.file_type for a in reply.attachments.all()] == ["PDF"]
    assert IncomingMail.objects.get(status="threaded").request == request
    # Each new sender is acknowledged with the draft's reference, never with what they wrote.
    acknowledged = {m.to[0]: m for m in outbox.outbox if "MAIL-" in m.subject}
    assert set(acknowledged) == {"rashad@example.az", "leyla@example.az"}
    assert deletion.reference in acknowledged["rashad@example.az"].subject
    assert deletion.reference in acknowledged["rashad@example.az"].body
    assert DELETION_TEXT not in acknowledged["rashad@example.az"].body
    # Moved, not deleted: the read folder is empty, the processed folder holds all four.
    assert folder_subjects(imap, imap["folder"]) == []
    assert len(folder_subjects(imap, imap["processed"])) == 4
    for words in (DELETION_TEXT, "Məlumatlarımın", "rashad@example.az", "Rəşad"):
        assert words not in caplog.text

    # The same message again (a second copy, or after a crash before the move): taken once.
    append(
        imap,
        message(
            sender="rashad@example.az",
            subject="again",
            text="x",
            message_id="<deletion-1@example.az>",
        ),
    )
    sent = len(outbox.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        counts = tasks.fetch_mailbox.apply(args=[mailbox.pk]).get()

    assert counts == {
        "drafts": 0,
        "threaded": 0,
        "duplicates": 1,
    }
    assert IncomingMail.objects.count() == 3
    assert len(outbox.outbox) == sent
    assert len(folder_subjects(imap, imap["processed"])) == 5


def test_a_reference_quoted_from_another_address_makes_a_draft_not_a_message(qonshu, dpo, imap):
    mailbox = make_mailbox(qonshu, imap)
    request = open_request(qonshu, dpo, email="aysel@example.az")
    append(
        imap,
        message(
            sender="someone@example.com",
            subject=f"Re: {request.reference}",
            text="I write into Aysel's request.",
        ),
    )

    assert fetch.fetch_mailbox(mailbox.pk).drafts == 1

    assert list(conversation.messages_of(request)) == []
    assert IncomingMail.objects.get().status == IncomingMailStatus.DRAFT


def test_dpo_turns_a_draft_into_a_deletion_request_received_on_the_message_date(
    client, qonshu, dpo, imap, django_capture_on_commit_callbacks
):
    mailbox = make_mailbox(qonshu, imap)
    sent_at = timezone.now() - datetime.timedelta(days=3)
    append(
        imap,
        message(
            sender="Rəşad Məmmədov <rashad@example.az>",
            subject="Məlumatlarımın silinməsi",
            text=DELETION_TEXT,
            sent_at=sent_at,
            files=[("vesiqe.pdf", PDF, "application/pdf")],
        ),
    )
    fetch.fetch_mailbox(mailbox.pk)
    draft = IncomingMail.objects.get()
    kept_file = draft.files.get().stored_name
    client.force_login(dpo)

    page = client.get(reverse("admin:requests_incomingmail_change", args=[draft.pk]))
    assert DELETION_TEXT in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:requests_incomingmail_request", args=[draft.pk]),
            {"kind": RequestKind.DELETION},
        )

    request = SubjectRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:requests_subjectrequest_change", args=[request.pk]
    )
    assert request.kind == RequestKind.DELETION
    assert request.channel == RequestChannel.EMAIL
    assert abs(request.received_at - sent_at) < datetime.timedelta(seconds=1)
    assert request.requester_name == "Rəşad Məmmədov"
    assert request.requester_email == "rashad@example.az"
    assert DELETION_TEXT in request.details and "Məlumatlarımın silinməsi" in request.details
    assert request.due_on is not None
    files = {a.kind: a for a in request.attachments.all()}
    assert files[AttachmentKind.APPLICATION].file_type == "EML"
    application = attachments.open_file(files[AttachmentKind.APPLICATION]).read().decode()
    assert "rashad@example.az" in application
    assert attachments.open_file(files[AttachmentKind.CORRESPONDENCE]).read() == PDF
    draft.refresh_from_db()
    assert draft.status == IncomingMailStatus.REQUEST and draft.request == request
    assert (draft.sender_email, draft.subject, draft.body) == ("", "", "")
    assert draft.decided_by == dpo
    assert not attachments.storage().exists(kept_file)
    assert AuditEvent.objects.filter(action="requests.mail_turned_into_request", actor=dpo).exists()

    # Decided once: the same form again is refused, nothing registered twice.
    again = client.post(
        reverse("admin:requests_incomingmail_request", args=[draft.pk]),
        {"kind": RequestKind.DELETION},
        follow=True,
    )
    assert "already been dealt with" in again.content.decode()
    assert SubjectRequest.objects.count() == 1


def test_a_reply_quoting_the_drafts_reference_joins_the_request_it_became(qonshu, dpo, imap):
    mailbox = make_mailbox(qonshu, imap)
    append(imap, message(sender="rashad@example.az", subject="Silinmə", text=DELETION_TEXT))
    fetch.fetch_mailbox(mailbox.pk)
    draft = IncomingMail.objects.get()
    request = mailbox_services.turn_into_request(draft, kind=RequestKind.DELETION, actor=dpo)
    append(
        imap,
        message(
            sender="rashad@example.az", subject=f"Re: {draft.reference}", text="Əlavə məlumat."
        ),
    )

    assert fetch.fetch_mailbox(mailbox.pk).threaded == 1

    assert [m.body for m in conversation.messages_of(request)] == ["Əlavə məlumat."]


def test_discarding_a_draft_removes_its_content_and_files(
    client, qonshu, dpo, imap, django_capture_on_commit_callbacks
):
    mailbox = make_mailbox(qonshu, imap)
    append(
        imap,
        message(
            sender="promo@shop.example",
            subject="Endirim!",
            text="50% endirim",
            files=[("katalog.pdf", PDF, "application/pdf")],
        ),
    )
    fetch.fetch_mailbox(mailbox.pk)
    draft = IncomingMail.objects.get()
    stored = draft.files.get().stored_name
    client.force_login(dpo)

    confirm = client.get(reverse("admin:requests_incomingmail_discard", args=[draft.pk]))
    assert "Yes, discard" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:requests_incomingmail_discard", args=[draft.pk]))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == IncomingMailStatus.DISCARDED
    assert (draft.sender_email, draft.sender_name, draft.subject, draft.body) == ("",) * 4
    assert draft.files.get().original_name == ""
    assert not attachments.storage().exists(stored)
    assert SubjectRequest.objects.count() == 0
    event = AuditEvent.objects.get(action="requests.mail_discarded")
    assert event.actor == dpo
    assert "promo" not in str(event.details) and "Endirim" not in str(event.details)
    # The message itself stays in the mailbox's processed folder.
    assert folder_subjects(imap, imap["processed"]) == ["Endirim!"]


def test_the_list_action_discards_after_a_confirmation_page(client, qonshu, dpo, imap):
    mailbox = make_mailbox(qonshu, imap)
    append(
        imap,
        message(sender="a@shop.example", subject="Bir", text="1"),
        message(sender="b@shop.example", subject="İki", text="2"),
    )
    fetch.fetch_mailbox(mailbox.pk)
    ids = [str(pk) for pk in IncomingMail.objects.values_list("pk", flat=True)]
    client.force_login(dpo)
    url = reverse("admin:requests_incomingmail_changelist")

    confirm = client.post(url, {"action": "discard_selected", "_selected_action": ids})
    assert confirm.status_code == 200
    assert IncomingMail.objects.filter(status="draft").count() == 2
    client.post(url, {"action": "discard_selected", "_selected_action": ids, "post": "yes"})

    assert IncomingMail.objects.filter(status="discarded").count() == 2


def test_another_organisations_draft_answers_404(client, qonshu, imap):
    mailbox = make_mailbox(qonshu, imap)
    append(
        imap,
        message(
            sender="rashad@example.az",
            subject="Silinmə",
            text=DELETION_TEXT,
            files=[("vesiqe.pdf", PDF, "application/pdf")],
        ),
    )
    fetch.fetch_mailbox(mailbox.pk)
    draft = IncomingMail.objects.get()
    other = make_organisation("allall", name="AllAll Finance")
    client.force_login(make_user(Role.DPO, other))

    for response in (
        client.get(reverse("admin:requests_incomingmail_change", args=[draft.pk])),
        client.post(
            reverse("admin:requests_incomingmail_request", args=[draft.pk]),
            {"kind": RequestKind.DELETION},
        ),
        client.post(reverse("admin:requests_incomingmail_discard", args=[draft.pk])),
        client.get(
            reverse("admin:requests_incomingmail_file", args=[draft.pk, draft.files.get().pk])
        ),
    ):
        assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.status == IncomingMailStatus.DRAFT


def test_server_down_the_task_retries_and_the_dashboard_says_so(client, qonshu, dpo, imap):
    mailbox = make_mailbox(qonshu, imap, port=closed_port())
    client.force_login(dpo)

    result = tasks.fetch_mailbox.apply(args=[mailbox.pk])

    assert result.failed()
    assert isinstance(result.result, fetch.MailboxUnavailable)
    mailbox.refresh_from_db()
    # The first attempt and every retry (the task's max_retries) reached for the server.
    assert mailbox.failed_attempts == 1 + tasks.fetch_mailbox.max_retries
    assert mailbox.problem == MailboxProblem.UNREACHABLE
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert "The server cannot be reached" in dashboard
    assert AuditEvent.objects.filter(action="requests.mailbox_problem").count() == 1

    # The server is back: the next run reads it and the dashboard no longer warns.
    Mailbox.objects.filter(pk=mailbox.pk).update(port=imap["port"])
    append(imap, message(sender="rashad@example.az", subject="Silinmə", text=DELETION_TEXT))

    assert tasks.fetch_mailbox.apply(args=[mailbox.pk]).get()["drafts"] == 1
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert "The server cannot be reached" not in dashboard
    assert "1 message waiting" in dashboard


def test_wrong_password_is_retried_and_shown_as_refused_login(
    client, qonshu, dpo, imap, monkeypatch
):
    mailbox = make_mailbox(qonshu, imap)
    monkeypatch.setenv(mailbox.password_env, "not-the-password")

    result = tasks.fetch_mailbox.apply(args=[mailbox.pk])

    assert result.failed()
    mailbox.refresh_from_db()
    assert mailbox.problem == MailboxProblem.LOGIN_REFUSED
    assert "not-the-password" not in str(result.result)


def test_password_not_set_is_said_on_the_mailbox_page_and_the_dashboard(
    client, qonshu, dpo, imap, monkeypatch
):
    mailbox = make_mailbox(qonshu, imap, password_env="QONSHU_IMAP_PASSWORD_UNSET")
    monkeypatch.delenv("QONSHU_IMAP_PASSWORD_UNSET", raising=False)
    client.force_login(dpo)

    assert tasks.fetch_mailbox.apply(args=[mailbox.pk]).get() == {
        "drafts": 0,
        "threaded": 0,
        "duplicates": 0,
    }

    mailbox.refresh_from_db()
    assert mailbox.problem == MailboxProblem.PASSWORD_NOT_SET
    page = client.get(reverse("admin:requests_mailbox_change", args=[mailbox.pk]))
    assert "not set: the variable QONSHU_IMAP_PASSWORD_UNSET is missing" in page.content.decode()
    assert (
        "password&#x27;s environment variable is not set"
        in client.get(reverse("admin:index")).content.decode()
    )


def test_unencrypted_imap_is_refused_to_a_server_on_the_network(qonshu):
    mailbox = Mailbox(
        organisation=qonshu,
        host="imap.qonshu.example",
        port=143,
        security=MailboxSecurity.PLAIN,
        username="dpo@qonshu.example",
        password_env="QONSHU_IMAP_PASSWORD",
    )

    with pytest.raises(Exception) as refused:
        mailbox.full_clean()

    assert "only to a server on this machine" in str(refused.value)
    assert Mailbox(organisation=qonshu).security == MailboxSecurity.TLS


def wait_for(condition, timeout=30):
    """Poll what a real worker writes (its own transaction) until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not get there in time")
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_reads_each_mailbox_on_a_real_worker(celery_worker_real, imap):
    qonshu = make_organisation("qonshu-worker", name="Qonshu MMC", languages="az,en")
    mailbox = make_mailbox(qonshu, imap)
    Mailbox.objects.create(
        organisation=make_organisation("idle"),
        host="imap.idle.example",
        username="dpo@idle.example",
        password_env="IDLE_IMAP_PASSWORD",
        enabled=False,
    )
    append(imap, message(sender="rashad@example.az", subject="Silinmə", text=DELETION_TEXT))
    outbox.outbox.clear()

    assert tasks.fetch_mailboxes.delay().get(timeout=30) == 1  # the enabled mailbox only

    wait_for(lambda: IncomingMail.objects.filter(mailbox=mailbox).exists())
    wait_for(lambda: folder_subjects(imap, imap["processed"]) == ["Silinmə"])
    wait_for(lambda: len(outbox.outbox) == 1)
    assert outbox.outbox[0].to == ["rashad@example.az"]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_schedules_a_retry_when_the_server_is_down(celery_worker_real, imap):
    mailbox = make_mailbox(make_organisation("qonshu-down"), imap, port=closed_port())

    result = tasks.fetch_mailbox.delay(mailbox.pk)

    wait_for(lambda: result.state == "RETRY")
    mailbox.refresh_from_db()
    assert mailbox.problem == MailboxProblem.UNREACHABLE
    assert mailbox.failed_attempts == 1
