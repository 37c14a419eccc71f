"""The secure conversation: the DPO's question stops the clock, the requester's reply (with a
file) starts it again, both stay with the request in order, and neither the notice mails nor the
logs carry what was written."""

import hashlib
import logging

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from dpo_portal.audit.models import AuditEvent
from requests import conversation, services
from requests.models import (
    DeadlineEvent,
    MessageDirection,
    RequestChannel,
    RequestKind,
    RequestMessage,
    RequestStatus,
)
from tests.requests.fulfilment_helpers import dpo_and_organisation, make_person, make_request

pytestmark = pytest.mark.django_db

QUESTION = "Please send the page of your passport with the photograph, Gülnarə."
REPLY = "Here is the passport page you asked for."
SCANNED_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"0" * 2000


@pytest.fixture
def case():
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    request = make_request(person, actor=dpo, kind=RequestKind.DELETION, verify=False)
    request = services.start_handling(request, actor=dpo)
    request.assignee = dpo
    request.save(update_fields=["assignee"])
    return dpo, request


def test_a_question_pauses_the_clock_and_the_reply_with_a_file_resumes_it(
    case, django_capture_on_commit_callbacks, caplog
):
    dpo, request = case
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        question = conversation.write_to_person(
            request, body=QUESTION, acting_user=dpo, asks_for_information=True
        )
    request.refresh_from_db()
    assert request.status == RequestStatus.PAUSED
    assert request.deadline_events.filter(kind=DeadlineEvent.Kind.PAUSE).count() == 1

    upload = SimpleUploadedFile("passport.pdf", SCANNED_PDF, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation.receive_from_person(
            request, body=REPLY, attachments=[upload], via=RequestChannel.WEB
        )
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_PROGRESS
    assert request.deadline_events.filter(kind=DeadlineEvent.Kind.RESUME).count() == 1

    thread = list(conversation.messages_of(request))
    assert [(m.direction, m.body) for m in thread] == [
        (MessageDirection.TO_PERSON, QUESTION),
        (MessageDirection.FROM_PERSON, REPLY),
    ]
    assert thread[0].author == dpo and thread[1].author is None
    [attachment] = thread[1].attachments.all()
    assert attachment.request == request and attachment.file_type == "PDF"

    actions = list(
        AuditEvent.objects.filter(target_id=str(request.pk)).values_list("action", flat=True)
    )
    assert "requests.message_sent" in actions and "requests.message_received" in actions

    # The requester was told a message waits, on the status page; not what it says. The
    # assignee heard of the reply, by reference.
    notice, to_assignee = mail.outbox
    assert to_assignee.to == [dpo.email] and request.reference in to_assignee.subject
    assert REPLY not in to_assignee.body and request.reference in to_assignee.body
    # The chain keeps each message's fingerprint: proof of the words after any redaction.
    sent = AuditEvent.objects.get(action="requests.message_sent")
    assert sent.details["sha256"] == hashlib.sha256(QUESTION.encode()).hexdigest()
    assert notice.to == [request.requester_email]
    assert request.reference in notice.subject
    assert "/privacy/allall-test/status/" in notice.body
    everything_mailed = notice.subject + notice.body + notice.alternatives[0][0]
    assert "passport" not in everything_mailed and "Gülnarə" not in everything_mailed
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "passport" not in logged and REPLY not in logged and QUESTION not in logged
    assert question.pk and reply.pk


def test_a_message_without_a_question_leaves_the_clock_running(case):
    dpo, request = case
    conversation.write_to_person(request, body="We are on it.", acting_user=dpo)
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_PROGRESS
    assert not request.deadline_events.exists()


def test_an_empty_message_is_refused_and_nothing_is_kept(case):
    dpo, request = case
    with pytest.raises(ValidationError):
        conversation.write_to_person(request, body="   ", acting_user=dpo)
    with pytest.raises(ValidationError):
        conversation.receive_from_person(request, body="", via=RequestChannel.WEB)
    assert not RequestMessage.objects.exists()


def test_scrubbing_the_requester_details_blanks_their_messages_and_redacts_the_dpos(case):
    dpo, request = case
    conversation.write_to_person(request, body=QUESTION, acting_user=dpo)
    conversation.receive_from_person(request, body=REPLY, via=RequestChannel.EMAIL)
    services.scrub_requester_details([request.pk])
    bodies = dict(RequestMessage.objects.values_list("direction", "body"))
    assert bodies[MessageDirection.FROM_PERSON] == ""
    assert "Gülnarə" not in bodies[MessageDirection.TO_PERSON]
    assert "passport" in bodies[MessageDirection.TO_PERSON]
