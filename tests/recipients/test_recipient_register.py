"""The register view: what each recipient receives (activities and categories, counted without a
query per row), its own page saying what it receives and why, and the dashboard panel."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consent.models import ProcessingActivity
from dpo_portal.register.models import RecipientTransfer, TransferMechanism
from tests.factories import Role, make_category, make_organisation, make_recipient, make_user

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:register_recipient_changelist"


def signed_in(client, user):
    client.force_login(user)
    # Pages in English: the assertions read English labels, whatever the catalogues hold.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def make_activity(organisation, name, purpose, recipients, categories):
    activity = ProcessingActivity.objects.create(
        organisation=organisation, code=name.lower().replace(" ", "-"), name=name, purpose=purpose
    )
    activity.recipients.set(recipients)
    activity.categories.set(categories)
    return activity


@pytest.fixture
def org():
    return make_organisation(name="AllAll Finance")


def test_the_list_counts_activities_and_categories_in_a_fixed_number_of_queries(client, org):
    officer = make_user(Role.COMPLIANCE, org)
    signed_in(client, officer)

    def list_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(CHANGELIST)).status_code == 200
        return len(queries)

    bureau = make_recipient(org, name="Kredit Bureau")
    cats = [make_category(org) for _ in range(3)]
    bureau.categories.set(cats)
    make_activity(org, "Credit scoring", "Assess creditworthiness", [bureau], cats[:2])
    make_activity(org, "Debt recovery", "Recover overdue debt", [bureau], cats[2:])
    baseline = list_queries()
    for n in range(5):
        extra = make_recipient(org, name=f"Extra {n}")
        extra.categories.set(cats[:1])
        make_activity(org, f"Activity {n}", "Purpose", [extra], [])
    assert list_queries() == baseline

    rows = client.get(reverse(CHANGELIST)).context["cl"].result_list
    bureau_row = next(r for r in rows if r.name == "Kredit Bureau")
    assert (bureau_row.activity_count, bureau_row.category_count) == (2, 3)


def test_the_recipients_page_says_what_it_receives_and_why(client, org):
    officer = make_user(Role.COMPLIANCE, org)
    bureau = make_recipient(org, name="Kredit Bureau")
    identity = make_category(org, name="Identity data")
    make_activity(
        org, "Credit scoring", "Assess creditworthiness before a loan", [bureau], [identity]
    )
    html = (
        signed_in(client, officer)
        .get(reverse("admin:register_recipient_change", args=[bureau.pk]))
        .content.decode()
    )
    assert "What it receives and why" in html
    assert "Credit scoring" in html
    assert "Assess creditworthiness before a loan" in html
    assert "Identity data" in html
    assert "Mark reviewed" in html


def test_a_recipient_abroad_without_a_mechanism_is_flagged_on_its_page(client, org):
    officer = make_user(Role.COMPLIANCE, org)
    cloud = make_recipient(org, name="Istanbul Cloud", country="TR")
    url = reverse("admin:register_recipient_change", args=[cloud.pk])
    signed_in(client, officer)
    assert "without a transfer mechanism" in client.get(url).content.decode()
    RecipientTransfer.objects.create(
        recipient=cloud,
        country="TR",
        mechanism=TransferMechanism.CONTRACT_CLAUSES,
        evidence="DPA annex 2",
    )
    assert "without a transfer mechanism" not in client.get(url).content.decode()


def test_the_dashboard_counts_reviews_overdue_contracts_expiring_and_transfer_gaps(client, org):
    today = timezone.localdate()
    other = make_organisation()
    make_recipient(org, next_review_due=today - datetime.timedelta(1))
    make_recipient(org, next_review_due=today - datetime.timedelta(9))
    make_recipient(org, contract_expires_on=today + datetime.timedelta(10))
    make_recipient(org, country="DE")
    make_recipient(other, next_review_due=today - datetime.timedelta(1), country="US")
    officer = make_user(Role.COMPLIANCE, org)
    panels = signed_in(client, officer).get(reverse("admin:index")).context["panels"]
    panel = next(p for p in panels if p.title == "Recipients and transfers")
    counts = {str(label): count for label, count, _link in panel.context["rows"]}
    assert counts["Recipient reviews overdue"] == 2
    assert counts["Contracts expiring within 60 days"] == 1
    assert counts["Transfers abroad without a mechanism"] == 1
