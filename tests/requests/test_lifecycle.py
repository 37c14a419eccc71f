"""The request lifecycle, declared once: every transition of the table succeeds, every other one
is refused (through the services and through the request page), and closing refuses what would
record something that did not happen."""

import datetime
import itertools

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from requests import fulfilment, lifecycle, services
from requests.models import (
    OPEN_STATUSES,
    IdentityMethod,
    IdentityStatus,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)
from tests.factories import Role, make_organisation, make_user
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    three_systems,
)
from tests.requests.fulfilment_helpers import make_request as make_matched_request
from tests.requests.helpers import make_request

pytestmark = pytest.mark.django_db

ALL_PAIRS = list(itertools.permutations(RequestStatus.values, 2))
ALLOWED = sorted(lifecycle.ALLOWED)
REFUSED_PAIRS = [pair for pair in ALL_PAIRS if pair not in lifecycle.ALLOWED]

# What each target asks for, as the request page's transition form sends it.
POST_FOR_TARGET = {
    RequestStatus.NEW: {},
    RequestStatus.IN_PROGRESS: {},
    RequestStatus.PAUSED: {"reason": "Send a readable copy of the ID card."},
    RequestStatus.COMPLETED: {},
    RequestStatus.PARTIALLY_COMPLETED: {"reason": "The archive copy is kept for the tax office."},
    RequestStatus.REFUSED: {
        "reason": "The loan is still being repaid.",
        "refusal_ground": "legal_claims",
        "lateness_note": "",
    },
    RequestStatus.WITHDRAWN: {"reason": "The requester withdrew it by phone."},
}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def ready_request(organisation, dpo, status):
    """An existence request that could close in every way: identity verified and "no data held"
    recorded, then put in ``status`` as the lifecycle would have."""
    request = make_request(organisation, kind=RequestKind.EXISTENCE, requester_fin="5ZK8R2T")
    services.verify_identity(request, method=IdentityMethod.ID_DOCUMENT_SEEN, actor=dpo)
    services.record_no_data_held(request, actor=dpo)
    closed_at = None if status in OPEN_STATUSES else timezone.now()
    SubjectRequest.objects.filter(pk=request.pk).update(status=status, closed_at=closed_at)
    request.refresh_from_db()
    return request


def move_through_services(request, target, dpo):
    return fulfilment.change_status(request, to=target, actor=dpo, **POST_FOR_TARGET[target])


@pytest.fixture
def organisation_and_dpo():
    organisation = make_organisation(languages="en")
    return organisation, make_user(Role.DPO, organisation)


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_every_allowed_transition_succeeds_through_the_services(
    organisation_and_dpo, source, target
):
    organisation, dpo = organisation_and_dpo
    request = ready_request(organisation, dpo, source)

    move_through_services(request, target, dpo)

    request.refresh_from_db()
    assert request.status == target


@pytest.mark.parametrize(("source", "target"), REFUSED_PAIRS)
def test_every_other_transition_is_refused_through_the_services(
    organisation_and_dpo, source, target
):
    organisation, dpo = organisation_and_dpo
    request = ready_request(organisation, dpo, source)

    with pytest.raises(ValidationError) as refused:
        move_through_services(request, target, dpo)

    assert refused.value.messages == [
        f"A request that is “{RequestStatus(source).label}” cannot become "
        f"“{RequestStatus(target).label}”."
    ]
    request.refresh_from_db()
    assert request.status == source


def post_transition(client, request, target):
    return client.post(
        reverse("admin:requests_transition", args=[request.pk]),
        {"to": target, **POST_FOR_TARGET[target]},
        follow=True,
    )


def shown(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_every_allowed_transition_succeeds_on_the_request_page(
    client, organisation_and_dpo, source, target
):
    organisation, dpo = organisation_and_dpo
    request = ready_request(organisation, dpo, source)
    client.force_login(dpo)

    response = post_transition(client, request, target)

    request.refresh_from_db()
    assert request.status == target
    assert f"The request is now “{RequestStatus(target).label}”." in shown(response)


@pytest.mark.parametrize(("source", "target"), REFUSED_PAIRS)
def test_every_other_transition_is_refused_on_the_request_page_with_its_message(
    client, organisation_and_dpo, source, target
):
    organisation, dpo = organisation_and_dpo
    request = ready_request(organisation, dpo, source)
    client.force_login(dpo)

    response = post_transition(client, request, target)

    request.refresh_from_db()
    assert request.status == source
    expected = (
        f"A request that is “{RequestStatus(source).label}” cannot become "
        f"“{RequestStatus(target).label}”."
    )
    assert expected in shown(response)


@pytest.mark.parametrize("status", RequestStatus.values)
def test_the_request_page_offers_only_the_transitions_allowed_from_its_status(
    client, organisation_and_dpo, status
):
    organisation, dpo = organisation_and_dpo
    request = ready_request(organisation, dpo, status)
    client.force_login(dpo)

    html = client.get(reverse("admin:requests_subjectrequest_change", args=[request.pk])).content
    html = html.decode()

    offered = {t.target for t in lifecycle.transitions_from(status)}
    for target in RequestStatus.values:
        option = f'<option value="{target}">'
        assert (option in html) == (target in offered), (status, target)
    if offered:
        # Nothing chosen in advance: the empty choice comes first and none is selected.
        form = html[html.index('id="transition-form"') :]
        assert '<option value="">—</option>' in form[: form.index("</select>")]
        assert "selected" not in form[: form.index("</select>")]


def test_the_empty_demo_request_cannot_be_completed(client, organisation_and_dpo):
    """The demo case: a deletion with no requester details, no subject, identity pending and no
    tasks was once closed as "Completed" from the review panel."""
    organisation, dpo = organisation_and_dpo
    request = make_request(
        organisation, kind=RequestKind.DELETION, requester_name="", requester_address="Bakı"
    )
    services.start_handling(request, actor=dpo)
    client.force_login(dpo)

    response = post_transition(client, request, RequestStatus.COMPLETED)

    request.refresh_from_db()
    assert request.status == RequestStatus.IN_PROGRESS
    assert request.identity_status == IdentityStatus.PENDING
    message = " ".join(shown(response))
    assert "The requester's identity is not verified." in message
    assert "No data subject is matched" in message
    with pytest.raises(ValidationError):
        fulfilment.complete_request(request, actor=dpo)


@pytest.fixture
def deletion():
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    core, crm, _aml = three_systems(organisation)
    category = make_category(organisation, "identity", name="Identity")
    make_record(person, core, category)
    request = make_matched_request(person, actor=dpo)
    return organisation, dpo, person, request, core, crm, category


def test_a_deletion_with_an_undisposed_record_and_no_kept_reason_cannot_be_completed(deletion):
    _organisation, dpo, person, request, core, crm, category = deletion
    (task,) = fulfilment.open_tasks_for(request, actor=dpo)
    fulfilment.resolve_task(task, actor=dpo, resolution=fulfilment.Resolution.ERASED)
    # A later import brings a record in another system: nobody disposed of it or kept it.
    make_record(person, crm, category)

    with pytest.raises(ValidationError) as refused:
        fulfilment.complete_request(request, actor=dpo)

    assert (
        "1 record(s) of the person are still held with no reason to keep them: dispose of "
        "them or record why they are kept." in refused.value.messages
    )
    assert "No task yet for the systems holding the person's records: CRM." in (
        refused.value.messages
    )
    request.refresh_from_db()
    person.refresh_from_db()
    assert request.is_open and not person.is_erased


def test_a_deletion_closed_without_opening_any_task_is_refused(deletion):
    _organisation, dpo, _person, request, *_rest = deletion
    with pytest.raises(ValidationError) as refused:
        fulfilment.complete_request(request, actor=dpo)
    assert "No task yet for the systems holding the person's records: Core banking." in (
        refused.value.messages
    )


def test_kept_data_cannot_be_called_completed(deletion):
    _organisation, dpo, _person, request, *_rest = deletion
    (task,) = fulfilment.open_tasks_for(request, actor=dpo)
    fulfilment.resolve_task(
        task, actor=dpo, resolution=fulfilment.Resolution.KEPT, kept_reason="aml_cft"
    )
    with pytest.raises(ValidationError, match="partially completed"):
        fulfilment.complete_request(request, actor=dpo, status=RequestStatus.COMPLETED)
    request = fulfilment.complete_request(request, actor=dpo)
    assert request.status == RequestStatus.PARTIALLY_COMPLETED


def test_no_data_held_is_refused_when_the_inventory_holds_the_persons_records(deletion):
    _organisation, dpo, _person, request, *_rest = deletion
    with pytest.raises(ValidationError, match="The inventory holds records"):
        services.record_no_data_held(request, actor=dpo)
    request.refresh_from_db()
    assert request.no_data_held is False


def test_no_data_held_is_refused_while_a_subject_shares_the_requesters_identifier(deletion):
    organisation, dpo, person, *_rest = deletion
    unmatched = make_request(organisation, requester_fin=person.fin)
    with pytest.raises(ValidationError, match="share an identifier"):
        services.record_no_data_held(unmatched, actor=dpo)


def test_a_refusal_needs_a_ground_of_the_regime_and_a_written_reason(organisation_and_dpo):
    organisation, dpo = organisation_and_dpo
    request = make_request(organisation)
    with pytest.raises(ValidationError) as refused:
        services.close_request(
            request, status=RequestStatus.REFUSED, reason="", refusal_ground="", actor=dpo
        )
    assert refused.value.messages == [
        "Choose the ground of the refusal (with its legal reference).",
        "Write the reasons of the refusal: they are sent to the requester.",
    ]
    # A GDPR ground is not a ground under the Azerbaijani law.
    with pytest.raises(ValidationError, match="Choose the ground"):
        services.close_request(
            request,
            status=RequestStatus.REFUSED,
            reason="Excessive",
            refusal_ground="manifestly_unfounded_or_excessive",
            actor=dpo,
        )
    request = services.close_request(
        request,
        status=RequestStatus.REFUSED,
        reason="The loan is being repaid.",
        refusal_ground="legal_claims",
        actor=dpo,
    )
    assert (
        request.refusal_ground_display
        == "The data is needed for a pending claim or court case (Civil Code, art. 373)"
    )


def test_a_late_refusal_needs_a_note_on_the_lateness(organisation_and_dpo):
    organisation, dpo = organisation_and_dpo
    request = make_request(organisation, received_at=timezone.now() - datetime.timedelta(days=40))
    assert timezone.localdate() > request.refusal_due_on
    refuse = {
        "status": RequestStatus.REFUSED,
        "reason": "Not a customer.",
        "refusal_ground": "identity_not_established",
        "actor": dpo,
    }
    with pytest.raises(ValidationError, match="The refusal is late"):
        services.close_request(request, **refuse)
    request = services.close_request(request, lateness_note="The letter was misfiled.", **refuse)
    assert request.lateness_note == "The letter was misfiled."
    assert request.answered_on_time is False


def test_the_fulfilment_panel_preselects_no_resolution(client, deletion):
    _organisation, dpo, _person, request, *_rest = deletion
    fulfilment.open_tasks_for(request, actor=dpo)
    client.force_login(dpo)
    html = client.get(reverse("admin:requests_subjectrequest_change", args=[request.pk]))
    html = html.content.decode()
    form = html[html.index('class="resolve-task"') :]
    select = form[form.index('name="resolution"') : form.index("</select>")]
    assert select.index('<option value="">—</option>') < select.index('value="erased"')
    assert "selected" not in select
    # And the complete button is not offered while a task is open: the panel says why.
    assert 'id="complete-request"' not in html
    assert "Tasks still open for: Core banking." in html
