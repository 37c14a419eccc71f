"""Letters that reach the person: addressed to them, on the letterhead as a PDF, e-mailed with the
PDF attached or marked posted, wholly in their language, and — for a deletion — sent as the
request is closed, before the person is erased, keeping only the body and the hash."""

import datetime
import hashlib

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from requests import fulfilment, letters, services
from requests.models import DeliveryStatus, LetterTemplate, RequestStatus, ResponseLetter
from tests.factories import Role, make_organisation, make_user
from tests.requests.fulfilment_helpers import resolve_all_as_erased, tables_containing
from tests.requests.helpers import make_request as make_plain_request
from tests.test_pdf import pdf_text

pytestmark = pytest.mark.django_db

ENGLISH_SENTENCES = (
    "Our reference",
    "Your request of",
    "What we did in each system",
    "Dear",
    "Yours sincerely",
    "kept under a legal hold",
    "records disposed",
    "Under a legal hold",
    "Data protection officer",
    "Deletion",
)
AZERBAIJANI_SENTENCES = (
    "İstinad nömrəmiz",
    "tarixli müraciətiniz",
    "Hər sistem üzrə görülən işlər",
    "Hörmətli",
    "Hörmətlə",
    "hüquqi saxlama altında saxlanılır",
    "Hüquqi saxlama altında",
    "Ləğv etmə",
)


def words(text):
    return " ".join(text.split())


def close_deletion(request, dpo, *, language, channel="email"):
    resolve_all_as_erased(request, dpo)
    return fulfilment.complete_request(
        request, actor=dpo, letter_language=language, letter_channel=channel
    )


@pytest.mark.parametrize(
    "language, own, other",
    [("az", AZERBAIJANI_SENTENCES, ENGLISH_SENTENCES), ("en", (), AZERBAIJANI_SENTENCES)],
)
def test_the_deletions_answer_is_emailed_with_its_pdf_in_the_chosen_language_only(
    deletion_case, language, own, other
):
    dpo, person, _other, _records, _others, request = deletion_case
    address = f"{person.first_name} {person.last_name}"

    close_deletion(request, dpo, language=language)

    [message] = mail.outbox
    assert message.to == [person.email]
    [(filename, pdf, content_type)] = message.attachments
    assert (filename, content_type) == (f"{request.reference}.pdf", "application/pdf")
    text = words(pdf_text(pdf))
    assert address in text  # addressed to the person
    assert person.email in text
    assert request.reference in text
    for sentence in own:
        assert sentence in text, sentence
    for sentence in other:
        assert sentence not in text, sentence
        assert sentence not in message.body, sentence
    if language == "en":
        assert "What we did in each system" in text
        assert "Erase — done. 1 record disposed." in text
        assert "kept — Under a legal hold. 1 record kept under a legal hold." in text
    # The kept part is said once, not repeated as a second paragraph of reasons.
    assert text.count("AML screening archive") == 1


def test_after_completion_the_person_is_in_no_table_and_the_hash_of_what_was_sent_stays(
    deletion_case,
):
    dpo, person, _other, _records, _others, request = deletion_case
    needles = (
        person.first_name,
        person.last_name,
        person.email,
        "Sülh küç. 44",  # the postal address the requester wrote
        "551239876",
    )
    request.requester_address = "Sumqayıt, Sülh küç. 44, mənzil 9"
    request.save()

    close_deletion(request, dpo, language="en")

    assert tables_containing(*needles) == {}
    answer = ResponseLetter.objects.filter(request=request).latest("pk")
    [message] = mail.outbox
    sent_pdf = message.attachments[0][1]
    assert answer.sha256 == hashlib.sha256(sent_pdf).hexdigest()
    assert (answer.addressee, answer.salutation, answer.pdf) == ("", "", None)
    # The body stays as proof of what the person was told.
    assert "What we did in each system" in answer.body
    assert answer.channel == "email"
    assert answer.delivery_status == DeliveryStatus.ACCEPTED
    assert answer.sent_by == dpo and answer.sent_at is not None
    # The DPO's own letter of intake named the person; its body is kept without the name.
    earlier = ResponseLetter.objects.exclude(pk=answer.pk).get(request=request)
    assert "we received your request" in earlier.body


def test_a_letter_the_mail_server_refuses_leaves_the_deletion_open_and_nobody_erased(
    deletion_case, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    dpo, person, _other, _records, _others, request = deletion_case
    resolve_all_as_erased(request, dpo)

    with pytest.raises(Exception) as refused:
        fulfilment.complete_request(
            request, actor=dpo, letter_language="en", letter_channel="email"
        )

    assert "The mail server did not accept the letter (ConnectionRefusedError)" in str(
        refused.value
    )
    request.refresh_from_db()
    person.refresh_from_db()
    assert request.is_open and not person.is_erased
    assert request.requester_name


def test_a_paper_answer_keeps_its_address_until_it_is_marked_posted(deletion_case):
    dpo, person, _other, _records, _others, request = deletion_case
    request.requester_address = "Sumqayıt, Sülh küç. 44, mənzil 9"
    request.save()

    close_deletion(request, dpo, language="az", channel="post")

    assert mail.outbox == []
    answer = ResponseLetter.objects.filter(request=request).latest("pk")
    assert answer.channel == "post" and answer.posted_on is None
    assert "Sumqayıt, Sülh küç. 44, mənzil 9" in pdf_text(bytes(answer.pdf))
    sha = answer.sha256
    assert sha == hashlib.sha256(bytes(answer.pdf)).hexdigest()

    with pytest.raises(Exception, match="not a future day"):
        letters.mark_posted(answer, actor=dpo, on=timezone.localdate() + datetime.timedelta(days=1))
    letters.mark_posted(answer, actor=dpo, on=timezone.localdate())

    answer.refresh_from_db()
    assert answer.posted_on == timezone.localdate()
    assert (answer.addressee, answer.pdf, answer.sha256) == ("", None, sha)
    assert tables_containing(person.last_name, "Sülh küç. 44") == {}


def test_the_acknowledgement_tells_reference_dates_next_steps_and_the_dpo_contact():
    organisation = make_organisation(
        name='"AllAll Finance" MMC & Co',
        dpo_name="Aynur Rzayeva",
        dpo_email="dpo@allall.az",
        dpo_phone="+994124000000",
        address="Bakı, Nizami küç. 10",
    )
    dpo = make_user(Role.DPO, organisation)
    request = make_plain_request(
        organisation,
        kind="deletion",
        requester_name="Səbinə Kərimova",
        requester_email="sebine@example.az",
        requester_address="Sumqayıt, 9-cu mkr., ev 4",
    )

    letter = letters.create_letter(request, language="en", kind="acknowledgement", actor=dpo)

    text = words(pdf_text(bytes(letter.pdf)))
    for expected in (
        "Our reference: " + request.reference,
        "We received your request on "
        + timezone.localtime(request.received_at).strftime("%-d %B %Y"),
        "We will answer by " + request.due_on.strftime("%-d %B %Y"),
        "What happens next",
        "We check that the request comes from you",
        "How to reach our data protection officer",
        "Aynur Rzayeva",
        "E-mail: dpo@allall.az",
        "Phone: +994124000000",
        "Səbinə Kərimova",
        "Sumqayıt, 9-cu mkr., ev 4",
        "Dear Səbinə Kərimova,",
    ):
        assert expected in text, expected
    # Sent by e-mail: a plain-text body, not HTML-escaped, with the PDF.
    letters.send_by_email(letter, actor=dpo)
    [message] = mail.outbox
    assert '"AllAll Finance" MMC & Co' in message.subject
    assert '"AllAll Finance" MMC & Co' in message.body
    assert "&amp;" not in message.body and "&quot;" not in message.body
    assert message.reply_to == ["dpo@allall.az"]
    assert message.attachments[0][1] == bytes(letter.pdf)


def test_an_organisations_own_template_is_used_and_previewed_on_a_real_request(client):
    organisation, other = make_organisation(), make_organisation()
    dpo = make_user(Role.DPO, organisation)
    request = make_plain_request(organisation, kind="deletion", requester_name="Tural Babayev")
    others_request = make_plain_request(other, kind="deletion")
    client.force_login(dpo)

    add = reverse("admin:requests_lettertemplate_add")
    initial = client.get(add, {"key": "deletion", "language": "en"}).content.decode()
    assert "You asked us to delete your personal data" in initial  # the shipped text
    response = client.post(
        add,
        {
            "organisation": organisation.pk,
            "key": "deletion",
            "language": "en",
            "text": "Reference {{ request.reference }}. "
            "Our own wording for {{ organisation.name }}.",
        },
    )
    assert response.status_code == 302
    template = LetterTemplate.objects.get()

    own = letters.create_letter(request, language="en", actor=dpo)
    shipped = letters.create_letter(others_request, language="en", actor=None)
    assert own.body == f"Reference {request.reference}. Our own wording for {organisation.name}."
    assert own.template == f"organisation:{template.pk}"
    assert "Our own wording" not in shipped.body
    assert shipped.template == "requests/letters/deletion_en.txt"

    change = reverse("admin:requests_lettertemplate_change", args=[template.pk])
    preview = client.get(change, {"preview": request.pk}).content.decode()
    sheet = preview.split('id="letter-preview"')[1]
    assert f"Reference {request.reference}. Our own wording" in sheet
    assert "Tural Babayev" in sheet  # addressed as the real letter would be
    # Another organisation's request cannot be previewed on.
    assert client.get(change, {"preview": others_request.pk}).status_code == 404
    # A template that does not parse is refused with its reason, nothing saved.
    broken = client.post(
        change,
        {
            "organisation": organisation.pk,
            "key": "deletion",
            "language": "en",
            "text": "{% if %}",
        },
    )
    assert "The template cannot be read" in broken.content.decode()
    template.refresh_from_db()
    assert "Our own wording" in template.text


def test_a_letter_page_sends_by_email_and_records_the_outcome(client):
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    request = make_plain_request(
        organisation, kind="access", requester_name="Nigar Əhmədova", requester_email="n@e.az"
    )
    services.close_request(
        request, status=RequestStatus.WITHDRAWN, reason="Withdrawn by phone.", actor=dpo
    )
    client.force_login(dpo)

    response = client.post(
        reverse("admin:requests_new_letter", args=[request.pk]),
        {"kind": "answer", "language": "en"},
    )
    letter = ResponseLetter.objects.get(request=request)
    page = client.get(response.url).content.decode()
    assert "Nigar Əhmədova" in page and "Send by e-mail" in page
    pdf = client.get(reverse("admin:requests_letter_pdf", args=[request.pk, letter.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content == bytes(letter.pdf)

    sent = client.post(
        reverse("admin:requests_letter_send", args=[request.pk, letter.pk]), follow=True
    )

    assert "The letter was e-mailed with its PDF attached." in sent.content.decode()
    assert mail.outbox[0].to == ["n@e.az"]
    letter.refresh_from_db()
    assert letter.delivery_status == DeliveryStatus.ACCEPTED and letter.sent_by == dpo
    # An auditor reads the letter but has no button to send it, and cannot post one.
    auditor = make_user(Role.AUDITOR, organisation)
    client.force_login(auditor)
    page = client.get(reverse("admin:requests_letter", args=[request.pk, letter.pk]))
    assert "Send by e-mail" not in page.content.decode()
    url = reverse("admin:requests_letter_send", args=[request.pk, letter.pk])
    assert client.post(url).status_code == 403


def test_scrubbing_removes_the_requester_from_letter_bodies_but_not_the_organisations_address():
    organisation = make_organisation(address="Bakı, Nizami küç. 10", dpo_name="Aynur Rzayeva")
    dpo = make_user(Role.DPO, organisation)
    request = make_plain_request(
        organisation,
        requester_name="Kamran Hüseynli",
        requester_address="Sumqayıt, Sülh küç. 44",
    )
    acknowledgement = letters.create_letter(
        request, language="en", kind="acknowledgement", actor=dpo
    )
    typed = letters.create_letter(
        request, language="en", actor=dpo, body="Dear Kamran, at Sumqayıt, Sülh küç. 44: noted."
    )

    services.scrub_requester_details([request.pk])

    acknowledgement.refresh_from_db()
    typed.refresh_from_db()
    assert "Address: Bakı, Nizami küç. 10" in acknowledgement.body
    assert typed.body == "Dear […], at […]: noted."
    assert tables_containing("Kamran", "Hüseynli", "Sülh küç") == {}
