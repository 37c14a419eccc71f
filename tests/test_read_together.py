"""Several row sets read in one statement (dpo_portal/read_together.py) are the model instances
reading each queryset gives: the same rows in the same order, every field's value of the same
type (dates, times, JSON, choices, booleans), the related objects asked for, annotations, and
the fields left deferred still deferred."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count, Value

from dpo_portal.jobs.models import Job
from dpo_portal.read_together import read_together
from dpo_portal.register.models import Role
from requests.models import DeadlineEvent, SubjectRequest
from tests.factories import make_organisation, make_user
from tests.requests.helpers import make_request


def values(instance):
    deferred = instance.get_deferred_fields()
    return {
        field.attname: (type(value := getattr(instance, field.attname)), value)
        for field in instance._meta.concrete_fields
        if field.attname not in deferred
    }


def row_sets(organisation):
    return {
        "jobs": Job.objects.filter(organisation=organisation)
        .select_related("started_by")
        .defer("payload", "result")
        .order_by("-pk"),
        "requests": SubjectRequest.objects.filter(organisation=organisation)
        .select_related("organisation", "assignee")
        .annotate(task_count=Count("tasks"), label=Value("x"))
        .order_by("due_on", "pk"),
        "nobody": get_user_model().objects.none(),
        "no_ids": Job.objects.filter(pk__in=[]),
        "already_read": ["kept as it is"],
    }


@pytest.mark.django_db
def test_row_sets_read_together_are_what_reading_each_gives(django_assert_num_queries):
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation, first_name="Aysel")
    for n in range(3):
        Job.objects.create(
            organisation=organisation,
            kind="access_package",
            started_by=dpo if n else None,
            status=Job.Status.DONE if n == 2 else Job.Status.RUNNING,
            total=10,
            done=n,
            parameters={"request_id": n, "language": "az", "nested": [1, {"ş": None}]},
            started_at=datetime.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=datetime.UTC),
            result_name=f"package-{n}.zip" if n == 2 else "",
        )
    make_request(organisation, assignee=dpo, due_in_days=3)
    make_request(organisation, due_in_days=-2, requester_email="gec@example.az")

    with django_assert_num_queries(1):
        together = read_together(**row_sets(organisation))
    each = {name: list(queryset) for name, queryset in row_sets(organisation).items()}

    assert together.keys() == each.keys()
    assert together["nobody"] == together["no_ids"] == []
    assert together["already_read"] == ["kept as it is"]
    for name in ("jobs", "requests"):
        assert [values(i) for i in together[name]] == [values(i) for i in each[name]], name
    assert len(together["jobs"]) == 3 and len(together["requests"]) == 2
    with django_assert_num_queries(0):  # what select_related and annotate gave, not read again
        for job, read_alone in zip(together["jobs"], each["jobs"], strict=True):
            assert job.get_deferred_fields() == {"payload", "result"}
            assert (job.started_by and values(job.started_by)) == (
                read_alone.started_by and values(read_alone.started_by)
            )
            assert job.percent == read_alone.percent
        for request, read_alone in zip(together["requests"], each["requests"], strict=True):
            assert values(request.organisation) == values(read_alone.organisation)
            assert (request.task_count, request.label) == (read_alone.task_count, "x")
            assert request.get_status_display() == read_alone.get_status_display()
    assert [r.urgency_on() for r in together["requests"]] == [
        r.urgency_on() for r in each["requests"]
    ]


@pytest.mark.django_db
def test_a_related_managers_rows_know_their_owner_and_their_own_rows_come_in_the_statement(
    django_assert_num_queries,
):
    organisation = make_organisation()
    request = make_request(organisation)
    other = make_request(organisation, requester_email="basqa@example.az")
    quiet = make_request(organisation, requester_email="sakit@example.az")
    for owner, kinds in ((request, ["pause", "resume"]), (other, ["extension"])):
        for kind in kinds:
            DeadlineEvent.objects.create(request=owner, kind=kind, reason=f"{kind} ə", by=None)
    request = SubjectRequest.objects.get(pk=request.pk)

    def three():
        return SubjectRequest.objects.filter(pk__in=[request.pk, other.pk, quiet.pk])

    # A reverse foreign key by name is read with its rows, in the same statement, even for a
    # slice; a nested lookup is prefetched after it, as usual (one query).
    with django_assert_num_queries(2):
        read = read_together(
            events=request.deadline_events.order_by("pk"),
            requests=three().order_by("pk").prefetch_related("deadline_events"),
            last_two=three().order_by("-pk")[:2].prefetch_related("deadline_events"),
            with_who=three().order_by("pk").prefetch_related("deadline_events__by"),
        )
    with django_assert_num_queries(0):
        assert [(event.request, event.kind) for event in read["events"]] == [
            (request, "pause"),
            (request, "resume"),
        ]
        prefetched = {
            name: [[(e.request.pk, e.kind) for e in r.deadline_events.all()] for r in read[name]]
            for name in ("requests", "last_two", "with_who")
        }
        [[(by_whom := event.by) for event in r.deadline_events.all()] for r in read["with_who"]]
    each = {
        name: [[(e.request_id, e.kind) for e in r.deadline_events.all()] for r in queryset]
        for name, queryset in {
            "requests": three().order_by("pk").prefetch_related("deadline_events"),
            "last_two": three().order_by("-pk")[:2].prefetch_related("deadline_events"),
            "with_who": three().order_by("pk").prefetch_related("deadline_events__by"),
        }.items()
    }
    assert prefetched == each
    assert prefetched["requests"] == [
        [(request.pk, "pause"), (request.pk, "resume")],
        [(other.pk, "extension")],
        [],
    ]
    assert prefetched["last_two"] == [[], [(other.pk, "extension")]]
    assert by_whom is None


@pytest.mark.django_db
def test_a_binary_column_must_be_deferred_not_garbled():
    with pytest.raises(TypeError, match="defer"):
        read_together(jobs=Job.objects.all())
