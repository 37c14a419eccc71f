"""Intake through the admin form, the request page for each role, the dashboard panel."""

import pytest
from django.urls import reverse

from requests import services
from requests.models import SubjectRequest
from tests.factories import Role, make_organisation, make_subject, make_user
from tests.requests.helpers import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def intake_form(organisation, **fields):
    return {
        "organisation": organisation.pk,
        "kind": "deletion",
        "channel": "paper_with_id",
        "received_at_0": "2026-03-13",
        "received_at_1": "17:00:00",
        "requester_name": "Kamran Rüstəmov",
        "requester_fin": "5zk8r2t",
        # Received in March: registered this late only with its reason (intake's rule).
        "registered_late_reason": "Found in the paper archive.",
        "tasks-TOTAL_FORMS": "0",
        "tasks-INITIAL_FORMS": "0",
        **fields,
    }


def test_intake_in_the_admin_numbers_the_request_and_sets_its_deadline(client):
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    client.force_login(dpo)
    response = client.post(reverse("admin:requests_subjectrequest_add"), intake_form(organisation))
    assert response.status_code == 302, response.content.decode()[:2000]
    request = SubjectRequest.objects.get()
    assert request.reference.startswith("DSR-2026-")
    assert str(request.due_on) == "2026-04-02"  # Novruz and Ramazan in between
    assert request.requester_fin == "5ZK8R2T"
    page = client.get(reverse("admin:requests_subjectrequest_change", args=[request.pk]))
    html = page.content.decode()
    assert "Law on Personal Data, art. 7.2.5 and 9.4" in html
    assert "A reasoned refusal is due by" in html


def test_portability_is_refused_under_the_azerbaijani_regime(client):
    organisation = make_organisation(regime="az")
    client.force_login(make_user(Role.DPO, organisation))
    response = client.post(
        reverse("admin:requests_subjectrequest_add"),
        intake_form(organisation, kind="portability"),
    )
    assert response.status_code == 200
    assert "does not exist under the organisation" in response.content.decode()
    assert not SubjectRequest.objects.exists()


def test_auditor_reads_the_request_page_without_any_button(client):
    organisation = make_organisation()
    request = make_request(organisation)
    client.force_login(make_user(Role.AUDITOR, organisation))
    html = client.get(
        reverse("admin:requests_subjectrequest_change", args=[request.pk])
    ).content.decode()
    assert request.reference in html
    assert "Request more information" not in html
    assert "Assign to me" not in html


def test_manager_finds_the_request_report_in_the_index_and_no_requests(client):
    organisation = make_organisation()
    client.force_login(make_user(Role.MANAGER, organisation))
    html = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:requests_report") in html
    assert reverse("admin:requests_subjectrequest_changelist") not in html


def test_dashboard_panel_counts_open_requests_by_urgency(client):
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    make_request(organisation, due_in_days=-2)
    make_request(organisation, due_in_days=-1, assignee=dpo)
    make_request(organisation, due_in_days=30)
    make_request(make_organisation(), due_in_days=-2)  # another controller's
    client.force_login(dpo)
    html = client.get(reverse("admin:index")).content.decode()
    panel = html[html.index('id="requests-by-urgency"') :]
    assert (
        '?urgency=overdue">Overdue</a></td>\n    <td class="flag-bad" style="text-align:right">2'
        in panel
    )
    assert "My queue: 1 open request" in panel


def test_data_subject_page_lists_their_requests(client):
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    subject = make_subject(organisation)
    theirs = make_request(organisation, requester_fin=subject.fin, due_in_days=-1)
    services.match_subject(theirs, subject, actor=dpo)
    someone_elses = make_request(organisation)
    client.force_login(dpo)
    html = client.get(
        reverse("admin:register_datasubject_change", args=[subject.pk])
    ).content.decode()
    section = html[html.index('class="subject-requests"') :]
    assert theirs.reference in section
    assert f"/subjectrequest/{someone_elses.pk}/" not in section
    assert "flag-bad" in section  # overdue
