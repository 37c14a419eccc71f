"""The request demo: every kind and status for both reference customers, some overdue, once."""

import io
import random

import pytest

from dpo_portal.register import demo as register_demo
from requests import demo
from requests.models import (
    RequestStatus,
    ResponseLetter,
    SubjectRequest,
    Urgency,
    kinds_for_regime,
)

pytestmark = pytest.mark.django_db


def test_demo_requests_cover_every_kind_and_status_of_both_customers_once():
    random.seed(1)
    register_demo.load(stdout=io.StringIO(), subjects_per_organisation=40)
    demo.load(stdout=io.StringIO(), subjects_per_organisation=40)
    count = SubjectRequest.objects.count()

    demo.load(stdout=io.StringIO(), subjects_per_organisation=40)

    assert SubjectRequest.objects.count() == count
    for slug in ("allall", "qonshu"):
        requests = SubjectRequest.objects.filter(organisation__slug=slug)
        regime = requests.first().organisation.regime
        assert set(requests.values_list("kind", flat=True)) == set(kinds_for_regime(regime))
        assert set(requests.values_list("status", flat=True)) == set(RequestStatus.values)
        urgencies = set(requests.with_urgency().values_list("urgency", flat=True))
        assert {Urgency.OVERDUE, Urgency.DUE_SOON, Urgency.PAUSED} <= urgencies
        assert requests.filter(extended=True).exists()
        assert requests.filter(subject__isnull=True).exists()  # left for matching
    assert ResponseLetter.objects.exists()


def test_demo_includes_the_deletion_blocked_in_part_by_the_aml_hold():
    random.seed(2)
    register_demo.load(stdout=io.StringIO(), subjects_per_organisation=40)
    demo.load(stdout=io.StringIO(), subjects_per_organisation=40)
    demo.load(stdout=io.StringIO(), subjects_per_organisation=40)
    blocked = SubjectRequest.objects.filter(tasks__status="kept", tasks__kept_reason="legal_hold")
    assert blocked.distinct().count() == 1


def test_demo_requests_closed_as_answered_satisfy_the_enforced_rules():
    random.seed(3)
    register_demo.load(stdout=io.StringIO(), subjects_per_organisation=40)
    demo.load(stdout=io.StringIO(), subjects_per_organisation=40)
    answered = SubjectRequest.objects.filter(
        status__in=[RequestStatus.COMPLETED, RequestStatus.PARTIALLY_COMPLETED]
    )
    assert answered.exists()
    for request in answered:
        assert request.identity_status == "verified", request.reference
        assert request.subject_id or request.no_data_held, request.reference
        assert not request.tasks.filter(status="open").exists(), request.reference
        if request.status == RequestStatus.COMPLETED:
            assert not request.tasks.filter(status="kept").exists(), request.reference
    for refused in SubjectRequest.objects.filter(status=RequestStatus.REFUSED):
        assert refused.refusal_ground_display and refused.outcome_reason, refused.reference
