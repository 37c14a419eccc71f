"""The request report (aggregates for managers, no personal data) and response letters."""

import datetime
import io
import zoneinfo

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from requests import letters, services
from requests.models import RequestKind, RequestStatus, ResponseLetter
from tests.factories import Role, make_organisation, make_user
from tests.requests.helpers import make_request

pytestmark = pytest.mark.django_db
BAKU = zoneinfo.ZoneInfo("Asia/Baku")
REQUESTER = "Rəşad Əliyev"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def history():
    """Three requests received in March 2026, two closed (one late), one still open."""
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    manager = make_user(Role.MANAGER, organisation)

    def received(day, kind):
        return make_request(
            organisation,
            kind=kind,
            requester_name=REQUESTER,
            received_at=datetime.datetime(2026, 3, day, 10, tzinfo=BAKU),
        )

    on_time = received(2, RequestKind.DELETION)  # due 12 March
    services.verify_identity(
        on_time, method="id_document_seen", actor=dpo, at=datetime.datetime(2026, 3, 3, tzinfo=BAKU)
    )
    services.record_no_data_held(on_time, actor=dpo)
    services.close_request(
        on_time,
        status=RequestStatus.COMPLETED,
        reason="",
        actor=dpo,
        at=datetime.datetime(2026, 3, 6, 12, tzinfo=BAKU),  # 4 working days: 3 4 5 6
    )
    late = received(3, RequestKind.DELETION)  # due 13 March
    services.close_request(
        late,
        status=RequestStatus.REFUSED,
        reason="Not a customer",
        refusal_ground="identity_not_established",
        lateness_note="The application was misfiled.",
        actor=dpo,
        at=datetime.datetime(2026, 3, 31, 12, tzinfo=BAKU),  # 12 working days (Novruz between)
    )
    received(4, RequestKind.ACCESS)
    return organisation, dpo, manager


def report(client, **params):
    params = {"date_from": "2026-01-01", "date_to": "2026-06-30", **params}
    return client.get(reverse("admin:requests_report"), params)


def test_manager_sees_counts_on_time_rate_and_median_without_personal_data(client, history):
    _organisation, _dpo, manager = history
    client.force_login(manager)
    html = report(client).content.decode()
    figures = html[html.index('id="request-figures"') :]
    assert "Requests closed: <strong>2</strong>" in figures
    assert "Answered on time: <strong>50.0%</strong>" in figures
    assert "Median working days to close: <strong>8.0</strong>" in figures
    assert "request-chart-data" in html
    assert REQUESTER not in html
    # The report is all a manager sees of requests.
    changelist = reverse("admin:requests_subjectrequest_changelist")
    assert client.get(changelist).status_code == 403


def test_report_table_counts_per_month_kind_and_outcome(client, history):
    _organisation, _dpo, manager = history
    client.force_login(manager)
    response = report(client, format="xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    header, *data = rows
    assert header[:2] == ("Month", "Kind")
    by_kind = {row[1]: dict(zip(header[2:], row[2:], strict=True)) for row in data}
    assert by_kind["Deletion"]["Completed"] == 1
    assert by_kind["Deletion"]["Refused"] == 1
    assert by_kind["Deletion"]["Total"] == 2
    assert by_kind["Access to the content of my data"]["Open"] == 1
    everything = " ".join(
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    )
    assert REQUESTER not in everything


def test_report_is_scoped_to_the_managers_organisations(client, history):
    organisation, _dpo, _manager = history
    other_manager = make_user(Role.MANAGER, make_organisation())
    client.force_login(other_manager)
    html = report(client).content.decode()
    assert "Requests closed: <strong>0</strong>" in html


def test_letter_is_filled_from_the_request_printable_and_kept(client, history):
    organisation, dpo, _manager = history
    organisation.dpo_name = "Aynur DPO"
    organisation.save()
    request = make_request(organisation, kind=RequestKind.DELETION, requester_name=REQUESTER)
    services.close_request(
        request,
        status=RequestStatus.REFUSED,
        reason="The loan is still being repaid",
        refusal_ground="legal_claims",
        actor=dpo,
    )
    client.force_login(dpo)
    response = client.post(
        reverse("admin:requests_new_letter", args=[request.pk]), {"language": "en"}
    )
    letter = ResponseLetter.objects.get(request=request)
    assert response.url == reverse("admin:requests_letter", args=[request.pk, letter.pk])
    # Addressed to the person; the body, which is kept after they are erased, does not name them.
    assert letter.addressee.splitlines()[0] == REQUESTER
    assert letter.salutation == f"Dear {REQUESTER},"
    assert REQUESTER not in letter.body
    for expected in (
        request.reference,
        "The loan is still being repaid",
        "Aynur DPO",
        "Law on Personal Data, art. 7.2.5 and 9.4",
    ):
        assert expected in letter.body
    printable = client.get(response.url).content.decode()
    assert "data-print" in printable  # the Print button (static/portal/portal.js)
    assert "The loan is still being repaid" in printable
    assert REQUESTER in printable


def test_letters_exist_for_every_kind_in_both_languages(history):
    organisation, dpo, _manager = history
    for kind in RequestKind:
        request = make_request(organisation, kind=kind)
        for language in ("az", "en"):
            letter = letters.create_letter(request, language=language, actor=dpo)
            assert letter.template == f"requests/letters/{kind}_{language}.txt"
            assert request.reference in letter.body
    azerbaijani = ResponseLetter.objects.filter(language="az").first()
    assert "Hörmətlə" in azerbaijani.body
    assert timezone.localdate().strftime("%d.%m.%Y") in azerbaijani.body


def test_a_refusal_after_five_working_days_is_late_though_the_answer_period_is_seven(client):
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    # Received Monday 2 March 2026; 9 March is Women's Day carried over from the Sunday:
    # 3 4 5 6 10 → refusal due 10 March, while the full answer is due 12 March.
    request = make_request(organisation, received_at=datetime.datetime(2026, 3, 2, 10, tzinfo=BAKU))
    assert request.refusal_due_on == datetime.date(2026, 3, 10)
    services.close_request(
        request,
        status=RequestStatus.REFUSED,
        reason="Manifestly unfounded",
        refusal_ground="right_not_applicable",
        lateness_note="Waited for the legal department.",
        actor=dpo,
        at=datetime.datetime(2026, 3, 11, 12, tzinfo=BAKU),
    )
    request.refresh_from_db()
    assert request.answered_on_time is False
    client.force_login(make_user(Role.MANAGER, organisation))
    assert "Answered on time: <strong>0.0%</strong>" in report(client).content.decode()


def test_a_pause_moves_the_refusal_deadline_too(history):
    organisation, dpo, _manager = history
    request = make_request(organisation, received_at=datetime.datetime(2026, 3, 2, 10, tzinfo=BAKU))
    services.request_identity_information(
        request,
        reason="Unreadable copy",
        actor=dpo,
        at=datetime.datetime(2026, 3, 3, 10, tzinfo=BAKU),
    )
    services.identity_information_received(
        request, actor=dpo, at=datetime.datetime(2026, 3, 5, 10, tzinfo=BAKU)
    )
    # Waited 4 and 5 March: two working days later than 10 March.
    assert request.refusal_due_on == datetime.date(2026, 3, 12)
