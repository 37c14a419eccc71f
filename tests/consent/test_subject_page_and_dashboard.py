"""What the consent app adds to other pages: a data subject's consents and the activities that
process their data, and the dashboard panel of gaps and recent withdrawals."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from consent.models import BasisKind
from consent.services import withdraw_consent
from dpo_portal.register.models import Role
from dpo_portal.register.subject_page import sections_for
from tests.consent.helpers import make_activity, make_consent, make_notice
from tests.factories import make_organisation, make_subject, make_subject_type, make_user
from tests.register.helpers import log_in

pytestmark = pytest.mark.django_db


def subject_page(client, subject):
    url = reverse("admin:register_datasubject_change", args=[subject.pk])
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_subject_page_shows_consents_and_the_activities_processing_their_data(client):
    org = make_organisation("allall")
    dpo = make_user(Role.DPO, org, username="dpo")
    customer = make_subject_type(org, "customer", name="Customer")
    subject = make_subject(org, subject_type=customer)
    notice = make_notice(org, "IT0101", "01", "az")
    marketing = make_activity(
        org, "marketing", name="Direct marketing", basis_kind=BasisKind.CONSENT
    )
    research = make_activity(org, "research", name="Market research", basis_kind=BasisKind.CONSENT)
    contracts = make_activity(org, "contracts", name="Service contracts")
    contracts.subject_types.add(customer)
    make_activity(org, "unrelated", name="Staff payroll")
    make_consent(subject, marketing, notice=notice)
    withdraw_consent(make_consent(subject, research, notice=notice), actor=dpo, channel="paper")
    log_in(client, dpo)

    page = subject_page(client, subject)

    assert "Consents" in page
    assert "IT0101 / 01 (az)" in page
    assert "Withdrawn" in page and "Active" in page
    assert "Processing activities that use this person" in page
    assert "Service contracts" in page  # through their subject type
    assert "active consent" in page  # marketing, through their consent
    assert "Staff payroll" not in page


def test_consent_sections_are_left_out_for_roles_that_may_not_view_consents(rf):
    org = make_organisation("allall")
    subject = make_subject(org)
    make_consent(subject, make_activity(org, name="Direct marketing"))
    request = rf.get("/")
    request.user = make_user(Role.MANAGER, org)  # aggregates only, never a person's consents

    titles = [str(section.title) for section in sections_for(request, subject)]

    assert "Consents" not in titles
    assert not any("Processing activities" in title for title in titles)
    request.user = make_user(Role.AUDITOR, org)
    assert "Consents" in [str(section.title) for section in sections_for(request, subject)]


def test_dashboard_counts_activities_with_gaps_and_recent_withdrawals(client):
    org = make_organisation("allall")
    dpo = make_user(Role.DPO, org, username="dpo")
    make_activity(org, "no-basis", basis_kind=None)
    make_activity(org, "complete")
    activity = make_activity(org, "marketing", basis_kind=BasisKind.CONSENT)
    withdraw_consent(make_consent(make_subject(org), activity), actor=dpo, channel="web")
    long_ago = make_consent(
        make_subject(org), activity, given_at=timezone.now() - datetime.timedelta(days=200)
    )
    withdraw_consent(
        long_ago, actor=dpo, channel="web", at=timezone.now() - datetime.timedelta(days=45)
    )
    other = make_organisation("qonshu")
    make_activity(other, "their-gap", basis_kind=None)
    log_in(client, dpo)

    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    panel = page[page.index('aria-label="Record of processing"') :]
    assert "3 processing activities recorded." in panel
    assert "consent/processingactivity/?gap=no_legal_basis" in panel
    no_basis_row = panel[panel.index("?gap=no_legal_basis") :].split("</tr>")[0]
    assert ">1<" in no_basis_row
    withdrawn_row = panel[panel.index("?status=withdrawn_30d") :].split("</tr>")[0]
    assert ">1<" in withdrawn_row


def test_dashboard_counts_only_the_users_organisations(client):
    org = make_organisation("allall")
    outsider = make_user(Role.DPO, make_organisation("elsewhere"))
    make_activity(org, "no-basis", basis_kind=None)
    log_in(client, outsider)

    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "0 processing activities recorded." in page
