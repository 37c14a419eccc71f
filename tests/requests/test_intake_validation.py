"""Intake refuses nonsense with the register's validators, next to the field, and keeps what was
typed; valid identifiers are kept in the register's spelling."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from requests.models import SubjectRequest
from tests.factories import Role, make_organisation, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def dpo_client(client):
    organisation = make_organisation(languages="en")
    client.force_login(make_user(Role.DPO, organisation))
    return client, organisation


def intake(client, organisation, **fields):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    data = {
        "organisation": organisation.pk,
        "kind": "deletion",
        "channel": "paper_with_id",
        "received_at_0": yesterday.isoformat(),
        "received_at_1": "10:00:00",
        "requester_name": "Kamran Rüstəmov",
        "tasks-TOTAL_FORMS": "0",
        "tasks-INITIAL_FORMS": "0",
        **fields,
    }
    return client.post(reverse("admin:requests_subjectrequest_add"), data)


def errors_of(response):
    assert response.status_code == 200, "the form was accepted"
    form = response.context["adminform"].form
    return {field: list(messages) for field, messages in form.errors.items()}


def test_a_received_date_in_the_future_is_refused(dpo_client):
    client, organisation = dpo_client
    next_year = timezone.localdate().year + 1
    response = intake(
        client, organisation, received_at_0=f"{next_year}-01-15", requester_fin="5ZK8R2T"
    )
    assert errors_of(response)["received_at"] == ["The request cannot be received in the future."]
    assert not SubjectRequest.objects.exists()


def test_a_request_from_2020_needs_the_reason_it_is_registered_late(dpo_client):
    client, organisation = dpo_client
    response = intake(client, organisation, received_at_0="2020-06-01", requester_fin="5ZK8R2T")
    assert errors_of(response)["registered_late_reason"] == [
        "The request was received more than 30 days ago: say why it is registered only now."
    ]
    response = intake(
        client,
        organisation,
        received_at_0="2020-06-01",
        requester_fin="5ZK8R2T",
        registered_late_reason="Found in a branch's paper archive.",
    )
    assert response.status_code == 302
    # The reference year is the year of receipt, not of registration.
    assert SubjectRequest.objects.get().reference == "DSR-2020-00001"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("requester_fin", "12AB!", "A FIN has 7 characters"),
        ("requester_fin", "5ZK8R2O", "A FIN has 7 characters"),  # no O in a FIN
        ("requester_id_document", "AZE123", "An identity document number is AZE and 8 digits"),
        ("requester_phone", "call me maybe", "A phone number has digits only"),
        ("requester_phone", "12345", "A phone number has digits only"),
        ("requester_email", "leyla at example", "Enter a valid email address."),
    ],
)
def test_each_malformed_identifier_is_refused_next_to_its_field(dpo_client, field, value, message):
    client, organisation = dpo_client
    response = intake(client, organisation, **{field: value})
    errors = errors_of(response)
    assert any(m.startswith(message) for m in errors[field]), errors
    # What was typed is kept in the form, for correcting.
    assert value in response.content.decode()
    assert not SubjectRequest.objects.exists()


def test_a_request_with_no_identifier_or_contact_is_refused(dpo_client):
    client, organisation = dpo_client
    response = intake(client, organisation)
    assert errors_of(response)["__all__"] == [
        "Give at least one identifier or contact of the requester: FIN, identity document, "
        "e-mail, phone or postal address."
    ]


def test_valid_identifiers_are_kept_in_the_registers_spelling(dpo_client):
    client, organisation = dpo_client
    response = intake(
        client,
        organisation,
        requester_fin=" 5zk8r2t ",
        requester_id_document="aze 1234-5678",
        requester_phone="050 123 45 67",
        requester_email=" Kamran.R@Example.AZ ",
    )
    assert response.status_code == 302, errors_of(response)
    request = SubjectRequest.objects.get()
    assert request.requester_fin == "5ZK8R2T"
    assert request.requester_id_document == "AZE12345678"
    assert request.requester_phone == "+994501234567"
    assert request.requester_email == "kamran.r@example.az"


def test_the_intake_form_shows_the_formats_and_preselects_the_only_organisation(dpo_client):
    client, organisation = dpo_client
    html = client.get(reverse("admin:requests_subjectrequest_add")).content.decode()
    assert "7 characters: digits and Latin letters other than I and O, e.g. 5ZK8R2T." in html
    assert "AZE12345678 or AA1234567 (ID card), C12345678 (passport)." in html
    assert "+994 50 123 45 67 or 050 123 45 67" in html
    assert f'<option value="{organisation.pk}" selected>' in html


def test_the_assignee_list_offers_only_members_who_may_work_on_requests(dpo_client):
    client, organisation = dpo_client
    colleague = make_user(Role.DPO, organisation, username="colleague-dpo")
    make_user(Role.MANAGER, organisation, username="a-manager")
    make_user(Role.AUDITOR, organisation, username="an-auditor")
    make_user(Role.DPO, make_organisation(), username="elsewhere-dpo")
    form = client.get(reverse("admin:requests_subjectrequest_add")).context["adminform"].form
    offered = set(form.fields["assignee"].queryset.values_list("username", flat=True))
    assert colleague.username in offered
    assert not offered & {"a-manager", "an-auditor", "elsewhere-dpo"}
