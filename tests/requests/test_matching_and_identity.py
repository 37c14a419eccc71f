"""Matching a request to a data subject, and identity checks that stop and restart the clock."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from requests import services
from requests.models import DeadlineEvent, IdentityStatus, RequestStatus
from tests.factories import Role, make_organisation, make_subject, make_user
from tests.requests.helpers import make_request

pytestmark = pytest.mark.django_db
BAKU = zoneinfo.ZoneInfo("Asia/Baku")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def two_organisations():
    ours, theirs = make_organisation(), make_organisation()
    return ours, theirs, make_user(Role.DPO, ours)


def test_candidates_share_an_identifier_and_belong_to_the_request_organisation(
    two_organisations,
):
    ours, theirs, _dpo = two_organisations
    by_fin = make_subject(ours, fin="5ZK8R2T")
    by_email = make_subject(ours, email="leyla@example.az")
    by_phone = make_subject(ours, phone="+994501234567")
    by_document = make_subject(ours, id_document_number="AZE12345678")
    make_subject(ours)  # shares nothing
    make_subject(theirs, fin="5ZK8R2T", email="leyla@example.az")  # another controller's

    request = make_request(
        ours,
        requester_fin="5zk8r2t",
        requester_email=" Leyla@Example.az ",
        requester_phone="050 123 45 67",
        requester_id_document="aze 1234 5678",
    )

    assert set(services.match_candidates(request)) == {by_fin, by_email, by_phone, by_document}
    assert services.matched_on(request, by_phone) == ["phone"]


def test_request_page_shows_candidates_and_matches_in_one_click(client, two_organisations):
    ours, theirs, dpo = two_organisations
    ours_subject = make_subject(ours, first_name="Leyla", last_name="Həsənova", fin="5ZK8R2T")
    theirs_subject = make_subject(theirs, first_name="Leyla", last_name="Başqa", fin="5ZK8R2T")
    request = make_request(ours, requester_fin="5ZK8R2T")
    client.force_login(dpo)
    page = reverse("admin:requests_subjectrequest_change", args=[request.pk])

    html = client.get(page).content.decode()
    assert "Həsənova" in html
    assert "Başqa" not in html

    client.post(reverse("admin:requests_match", args=[request.pk]), {"subject": theirs_subject.pk})
    request.refresh_from_db()
    assert request.subject is None

    client.post(reverse("admin:requests_match", args=[request.pk]), {"subject": ours_subject.pk})
    request.refresh_from_db()
    assert request.subject == ours_subject
    assert "Matched to" in client.get(page).content.decode()


def test_verifying_identity_records_method_who_and_when(two_organisations):
    ours, _theirs, dpo = two_organisations
    request = make_request(ours)
    services.verify_identity(request, method="id_document_seen", actor=dpo)
    request.refresh_from_db()
    assert request.identity_status == IdentityStatus.VERIFIED
    assert request.identity_method == "id_document_seen"
    assert request.identity_verified_by == dpo
    assert request.identity_verified_at is not None
    assert request.status == RequestStatus.IN_PROGRESS


def test_asking_for_more_information_stops_the_clock_until_it_arrives(two_organisations):
    ours, _theirs, dpo = two_organisations
    # Friday 22 May 2026: due 5 June (Qurban and Independence Day in between).
    request = make_request(ours, received_at=datetime.datetime(2026, 5, 22, 10, tzinfo=BAKU))
    assert request.due_on == datetime.date(2026, 6, 5)

    services.request_identity_information(
        request,
        reason="Copy of the ID card is unreadable",
        actor=dpo,
        at=datetime.datetime(2026, 5, 25, 9, tzinfo=BAKU),
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.PAUSED
    assert request.paused_since == datetime.date(2026, 5, 25)

    services.identity_information_received(
        request, actor=dpo, at=datetime.datetime(2026, 6, 2, 15, tzinfo=BAKU)
    )
    request.refresh_from_db()
    # Waited 26 May, 1 and 2 June (27–29 May are holidays): three working days later.
    assert request.due_on == datetime.date(2026, 6, 10)
    assert request.status == RequestStatus.IN_PROGRESS
    assert request.identity_status == IdentityStatus.PENDING
    kinds = list(request.deadline_events.values_list("kind", "reason"))
    assert kinds == [
        (DeadlineEvent.Kind.PAUSE, "Copy of the ID card is unreadable"),
        (DeadlineEvent.Kind.RESUME, ""),
    ]


def test_pause_and_extension_are_shown_on_the_request_page(client, two_organisations):
    ours, _theirs, dpo = two_organisations
    request = make_request(ours)
    client.force_login(dpo)
    client.post(
        reverse("admin:requests_identity", args=[request.pk, "request-info"]),
        {"reason": "Signature does not match"},
    )
    client.post(reverse("admin:requests_identity", args=[request.pk, "received"]))
    client.post(
        reverse("admin:requests_extend", args=[request.pk]),
        {"reason": "The credit bureau must supply the history"},
    )
    html = client.get(reverse("admin:requests_subjectrequest_change", args=[request.pk]))
    html = html.content.decode()
    assert "Signature does not match" in html
    assert "The credit bureau must supply the history" in html
    assert "Extended: a third party must supply data" in html
    request.refresh_from_db()
    assert request.extended


def test_azerbaijani_third_party_extension_is_allowed_once(two_organisations):
    ours, _theirs, dpo = two_organisations
    request = make_request(ours)
    services.extend_deadline(request, reason="Bureau data", actor=dpo)
    with pytest.raises(ValidationError, match="already extended"):
        services.extend_deadline(request, reason="Again", actor=dpo)


def test_gdpr_extension_must_come_within_the_first_month():
    organisation = make_organisation(regime="gdpr")
    dpo = make_user(Role.DPO, organisation)
    request = make_request(organisation, received_at=datetime.datetime(2026, 1, 31, tzinfo=BAKU))
    with pytest.raises(ValidationError, match="within the first month"):
        services.extend_deadline(
            request,
            reason="Many records",
            months=2,
            actor=dpo,
            at=datetime.datetime(2026, 3, 2, tzinfo=BAKU),
        )
    services.extend_deadline(
        request,
        reason="Many records",
        months=2,
        actor=dpo,
        at=datetime.datetime(2026, 2, 20, tzinfo=BAKU),
    )
    request.refresh_from_db()
    assert request.due_on == datetime.date(2026, 4, 30)
    with pytest.raises(ValidationError, match="at most 2 months"):
        services.extend_deadline(request, reason="More", months=1, actor=dpo)
