"""Recipient reviews: the next review date follows the interval, the register's filters are right on
their boundary days, and every review stays in the recipient's history."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from dpo_portal.audit.models import AuditEvent
from dpo_portal.recipients.services import mark_reviewed
from dpo_portal.register.models import Recipient, RecipientReview, next_review_after
from tests.factories import Role, make_organisation, make_recipient, make_user

pytestmark = pytest.mark.django_db

D = datetime.date
CHANGELIST = "admin:register_recipient_changelist"


def signed_in(client, user):
    client.force_login(user)
    # Pages in English: the assertions read English labels, whatever the catalogues hold.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def org():
    return make_organisation()


@pytest.fixture
def officer(org):
    return make_user(Role.COMPLIANCE, org)


@pytest.mark.parametrize(
    ("reviewed_on", "months", "expected"),
    [
        (D(2026, 3, 15), 12, D(2027, 3, 15)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),  # month end → the shorter month's last day
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # leap year
        (D(2026, 8, 31), 6, D(2027, 2, 28)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2026, 10, 31), 3, D(2027, 1, 31)),
    ],
)
def test_next_review_is_the_interval_later_and_never_spills_past_a_month_end(
    reviewed_on, months, expected
):
    assert next_review_after(reviewed_on, months) == expected


def test_marking_reviewed_sets_the_dates_and_keeps_every_review(org, officer):
    recipient = make_recipient(org, review_interval_months=6)
    mark_reviewed([recipient], actor=officer, reviewed_on=D(2026, 1, 31), note="DPA checked")
    mark_reviewed(
        [recipient],
        actor=officer,
        reviewed_on=D(2026, 8, 31),
        note="Sub-processor list received",
        contract_in_place=True,
        sub_processors_known=True,
    )
    recipient.refresh_from_db()
    assert recipient.last_reviewed_on == D(2026, 8, 31)
    assert recipient.next_review_due == D(2027, 2, 28)
    reviews = list(recipient.reviews.all())
    assert [r.note for r in reviews] == ["Sub-processor list received", "DPA checked"]
    assert reviews[0].contract_in_place and not reviews[0].security_measures_checked
    assert reviews[0].reviewed_by == officer
    # The recipient's own history shows both date changes, by the officer.
    changes = recipient.history.filter(history_type="~")
    assert changes.count() == 2
    assert {h.history_user for h in changes} == {officer}
    events = AuditEvent.objects.filter(action="register.recipient_reviewed", organisation=org)
    assert events.count() == 2
    assert all("note" not in e.details for e in events)


def test_a_backdated_review_is_kept_but_does_not_move_the_dates_back(org, officer):
    recipient = make_recipient(org, review_interval_months=12)
    mark_reviewed([recipient], actor=officer, reviewed_on=D(2026, 6, 1))
    mark_reviewed([recipient], actor=officer, reviewed_on=D(2026, 2, 1), note="late entry")
    recipient.refresh_from_db()
    assert recipient.next_review_due == D(2027, 6, 1)
    assert recipient.reviews.count() == 2


def test_overdue_filter_lists_yesterdays_review_but_not_todays(client, org, officer):
    today = timezone.localdate()
    make_recipient(org, name="Due Yesterday Ltd", next_review_due=today - datetime.timedelta(1))
    make_recipient(org, name="Due Today Ltd", next_review_due=today)
    make_recipient(org, name="Never Planned Ltd")
    page = signed_in(client, officer).get(reverse(CHANGELIST), {"review": "overdue"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Due Yesterday Ltd" in html
    assert "Due Today Ltd" not in html
    assert "Never Planned Ltd" not in html


def test_expiring_filter_covers_today_to_sixty_days_inclusive(client, org, officer):
    today = timezone.localdate()
    days = datetime.timedelta
    for name, expires in [
        ("Expired Yesterday Ltd", today - days(1)),
        ("Expires Today Ltd", today),
        ("Expires Day Sixty Ltd", today + days(60)),
        ("Expires Day Sixty One Ltd", today + days(61)),
    ]:
        make_recipient(
            org,
            name=name,
            contract_reference="DPA-1",
            contract_signed_on=today - days(400),
            contract_expires_on=expires,
        )
    signed_in(client, officer)
    expiring = client.get(reverse(CHANGELIST), {"contract": "expiring"}).content.decode()
    assert "Expires Today Ltd" in expiring
    assert "Expires Day Sixty Ltd" in expiring
    assert "Expires Day Sixty One Ltd" not in expiring
    assert "Expired Yesterday Ltd" not in expiring
    expired = client.get(reverse(CHANGELIST), {"contract": "expired"}).content.decode()
    assert "Expired Yesterday Ltd" in expired and "Expires Today Ltd" not in expired


def test_outside_azerbaijan_and_no_contract_filters(client, org, officer):
    make_recipient(
        org, name="Baku Storage", contract_reference="C-1", contract_signed_on=D(2025, 1, 1)
    )
    make_recipient(org, name="Frankfurt Cloud", country="DE")
    signed_in(client, officer)
    abroad = client.get(reverse(CHANGELIST), {"abroad": "yes"}).content.decode()
    assert "Frankfurt Cloud" in abroad and "Baku Storage" not in abroad
    # Abroad without any transfer mechanism: flagged in the list column.
    assert "no transfer mechanism" in abroad
    none = client.get(reverse(CHANGELIST), {"contract": "none"}).content.decode()
    assert "Frankfurt Cloud" in none and "Baku Storage" not in none
    # The country filter offers the countries of the user's recipients, not the whole world.
    make_recipient(make_organisation(), name="Paris Partner", country="FR")
    listing = client.get(reverse(CHANGELIST)).content.decode()
    assert "?country=DE" in listing and "?country=AZ" in listing
    assert "?country=FR" not in listing and "?country=US" not in listing
    assert "Frankfurt Cloud" in client.get(reverse(CHANGELIST), {"country": "DE"}).content.decode()


def test_mark_reviewed_page_records_the_review_and_returns_to_the_recipient(client, org, officer):
    recipient = make_recipient(org, review_interval_months=12)
    url = reverse("admin:register_recipient_mark_reviewed", args=[recipient.pk])
    signed_in(client, officer)
    assert client.get(url).status_code == 200
    today = timezone.localdate()
    response = client.post(
        url,
        {"reviewed_on": today.isoformat(), "note": "All fine", "contract_in_place": "on"},
    )
    assert response.status_code == 302
    recipient.refresh_from_db()
    assert recipient.last_reviewed_on == today
    assert recipient.next_review_due == next_review_after(today, 12)
    page = client.get(response["Location"]).content.decode()
    assert "All fine" in page  # the review history on the recipient's page


def test_a_review_cannot_be_dated_in_the_future(client, org, officer):
    recipient = make_recipient(org)
    url = reverse("admin:register_recipient_mark_reviewed", args=[recipient.pk])
    tomorrow = timezone.localdate() + datetime.timedelta(1)
    response = signed_in(client, officer).post(url, {"reviewed_on": tomorrow.isoformat()})
    assert response.status_code == 200
    assert not RecipientReview.objects.exists()


def test_bulk_review_goes_through_a_confirmation_page(client, org, officer):
    first, second = make_recipient(org), make_recipient(org)
    signed_in(client, officer)
    selection = {"action": "mark_reviewed_action", "_selected_action": [first.pk, second.pk]}
    confirm = client.post(reverse(CHANGELIST), selection)
    assert confirm.status_code == 200
    assert "Record the review" in confirm.content.decode()
    assert not RecipientReview.objects.exists()  # nothing changed before confirming

    done = client.post(
        reverse(CHANGELIST),
        {
            **selection,
            "post": "yes",
            "reviewed_on": timezone.localdate().isoformat(),
            "note": "Annual review",
            "security_measures_checked": "on",
        },
    )
    assert done.status_code == 302
    assert RecipientReview.objects.filter(note="Annual review").count() == 2
    assert not Recipient.objects.filter(last_reviewed_on__isnull=True).exists()


def test_another_organisations_recipient_cannot_be_reviewed(client, org, officer):
    stranger = make_recipient(make_organisation())
    url = reverse("admin:register_recipient_mark_reviewed", args=[stranger.pk])
    signed_in(client, officer)
    assert client.get(url).status_code == 404
    assert client.post(url, {"reviewed_on": timezone.localdate().isoformat()}).status_code == 404
    # A crafted bulk action cannot reach it either.
    client.post(
        reverse(CHANGELIST),
        {
            "action": "mark_reviewed_action",
            "_selected_action": [stranger.pk],
            "post": "yes",
            "reviewed_on": timezone.localdate().isoformat(),
        },
    )
    assert not RecipientReview.objects.exists()


def test_an_auditor_cannot_mark_reviewed(client, org):
    auditor = make_user(Role.AUDITOR, org)
    recipient = make_recipient(org)
    url = reverse("admin:register_recipient_mark_reviewed", args=[recipient.pk])
    assert signed_in(client, auditor).get(url).status_code == 403
