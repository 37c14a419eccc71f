"""The staff pages a team works in all day answer in a fixed number of queries: the dashboard, the
triage queue, the record list, a data subject's page, the recipient register and a request's page
ask the same number with a handful of rows as with several times more (no query per row, per
system, per task or per person); the lists, the subject page, the dashboard (a panel per app,
what its panels read gathered into one statement) and a request's page, new or being worked on
(tasks in every system, letters, messages), at most twelve."""

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consent.models import BasisKind
from dpo_portal.register.models import DataSubject, Role
from requests import access, conversation, fulfilment, letters, services
from requests.mailbox.models import Mailbox
from requests.models import IdentityMethod, IdentityStatus, RequestKind, SubjectRequest
from retention import sweep
from retention.models import Record, RecordStatus, SweepRun
from retention.snapshots import take_snapshots
from tests.consent.helpers import make_activity, make_consent
from tests.factories import (
    make_category,
    make_organisation,
    make_recipient,
    make_subject,
    make_system,
    make_user,
)
from tests.register.helpers import log_in
from tests.requests.helpers import make_request
from tests.retention.helpers import make_record, make_rule

PAGE_BUDGET = 12
# The user, their second factor, and their memberships and permissions in one statement (the
# session comes from Redis): 3. Then the organisations read once, the calendars' stamp (the
# due-soon limits of the urgency counts), one statement for every panel's placeholders (counts,
# urgency counts, last and unfinished sweeps, snapshot figures, mailboxes, failed disposals),
# and what depends on something read first: the audit chain heads and the legal references in
# use (versions, citing rules, references): 10. The figure moves only when a panel is added.
# A request's page: the same 3, then its request with organisation, person, regime version and
# verifier, its deadline events, the request kinds offered with their references, the calendar's
# stamp, the person's records by system (counts, rows shown), one statement for the sections'
# row sets (tasks with their receipts, the approvals waiting on them, the systems with a
# connector and the runs, letters, attachments, messages with theirs, signature checks, refusal
# grounds, access packages, and a consent withdrawal's active consents and systems holding
# records on a consent: dpo_portal/read_together.py), and the assignee choices: 11 for a new
# request. One being worked on (tasks in every system of the person, letters, messages, access
# packages) asks one more, who may be given a task, and no more: the closing check (what stands
# before closing) takes the tasks and the records by system the page has just read.
_n = itertools.count(1)


def add_rows(organisation, dpo, size):
    """``size`` of everything the pages list: systems, categories, people with records, requests
    (assigned and not, open and closed), recipients with categories."""
    for _ in range(size):
        n = next(_n)
        system = make_system(organisation, f"sys-{n}", name=f"System {n}")
        category = make_category(organisation, f"cat-{n}", name=f"Category {n}")
        rule = make_rule(organisation, f"rule-{n}", name=f"Rule {n}", category=category)
        subject = make_subject(organisation)
        worked = DataSubject.objects.filter(organisation=organisation).order_by("pk").first()
        if worked != subject:  # the worked request's person has records in every system
            make_record(organisation, subject=worked, system=system, category=category, rule=rule)
        for status in (RecordStatus.ACTIVE, RecordStatus.DUE):
            make_record(
                organisation,
                subject=subject,
                system=system,
                category=category,
                rule=rule,
                status=status,
            )
        make_request(organisation, assignee=dpo if n % 2 else None, subject=subject)
        make_request(organisation, due_in_days=-3, requester_email=f"late{n}@example.az")
        make_request(organisation, status="completed", requester_email=f"done{n}@example.az")
        recipient = make_recipient(organisation, f"rcp-{n}", name=f"Recipient {n}")
        recipient.categories.add(category)
        # The dashboard's panels with rows of their own to show: the mailbox (one per
        # organisation), a finished sweep and one whose worker went quiet halfway.
        Mailbox.objects.get_or_create(
            organisation=organisation,
            defaults={"host": "imap.example.az", "username": "dpo@example.az"},
        )
        sweep.record_sweep([], today=timezone.localdate(), organisation_ids=[organisation.pk])
        run = sweep.open_run(
            [(1, 10), (11, 20)], today=timezone.localdate(), organisation_ids=[organisation.pk]
        )
        sweep.chunk_finished(run.pk, 1, {})
        SweepRun.objects.filter(pk=run.pk).update(
            last_activity_at=timezone.now() - datetime.timedelta(hours=1)
        )
    take_snapshots()


def work_on(organisation, dpo):
    """The first person's request, being worked on: identity verified, a task in each system
    holding their records (the assignee's), and one more letter, message and access package."""
    request = SubjectRequest.objects.get(pk=request_of(organisation, 0).pk)
    if request.identity_status != IdentityStatus.VERIFIED:
        services.verify_identity(request, method=IdentityMethod.ID_DOCUMENT_SEEN, actor=dpo)
    fulfilment.open_tasks_for(request, actor=dpo)
    deletion = kind_of(organisation, RequestKind.DELETION) or make_request(
        organisation, kind=RequestKind.DELETION, subject=request.subject
    )
    if deletion.identity_status != IdentityStatus.VERIFIED:
        services.verify_identity(deletion, method=IdentityMethod.ID_DOCUMENT_SEEN, actor=dpo)
    fulfilment.open_tasks_for(deletion, actor=dpo)
    withdrawal = kind_of(organisation, RequestKind.CONSENT_WITHDRAWAL)
    if withdrawal is None:  # the person consented to one activity; a record is held on it
        activity = make_activity(organisation, basis_kind=BasisKind.CONSENT)
        consent = make_consent(request.subject, activity)
        Record.objects.filter(pk=Record.objects.filter(subject=request.subject).first().pk).update(
            activity=activity, consent=consent
        )
        withdrawal = make_request(
            organisation, kind=RequestKind.CONSENT_WITHDRAWAL, subject=request.subject
        )
        services.verify_identity(withdrawal, method=IdentityMethod.ID_DOCUMENT_SEEN, actor=dpo)
    fulfilment.open_tasks_for(withdrawal, actor=dpo)
    letters.create_letter(request, language="az", actor=dpo)
    conversation.write_to_person(request, body="Sənədlərinizi aldıq.", acting_user=dpo)
    access.start_access_package(request, actor=dpo)


def request_of(organisation, person):
    subject = DataSubject.objects.filter(organisation=organisation).order_by("pk")[person]
    return SubjectRequest.objects.filter(subject=subject).order_by("pk").first()


def kind_of(organisation, kind):
    """The first person's request of this kind (work_on makes one of each)."""
    subject = DataSubject.objects.filter(organisation=organisation).order_by("pk").first()
    return SubjectRequest.objects.filter(subject=subject, kind=kind).first()


def pages(organisation):
    subject = DataSubject.objects.filter(organisation=organisation).order_by("pk").first()
    return {
        "dashboard": reverse("admin:index"),
        "triage queue": reverse("admin:requests_subjectrequest_changelist"),
        "my queue": reverse("admin:requests_subjectrequest_changelist") + "?assignee=me",
        "overdue": reverse("admin:requests_subjectrequest_changelist") + "?urgency=overdue",
        "record list": reverse("admin:retention_record_changelist"),
        "due records": reverse("admin:retention_record_changelist") + "?status__exact=due",
        "subject page": reverse("admin:register_datasubject_change", args=[subject.pk]),
        "recipient register": reverse("admin:register_recipient_changelist"),
        "request page": reverse(
            "admin:requests_subjectrequest_change", args=[request_of(organisation, 1).pk]
        ),
        "worked request page": reverse(
            "admin:requests_subjectrequest_change", args=[request_of(organisation, 0).pk]
        ),
        "worked deletion page": reverse(
            "admin:requests_subjectrequest_change",
            args=[kind_of(organisation, RequestKind.DELETION).pk],
        ),
        "worked consent withdrawal page": reverse(
            "admin:requests_subjectrequest_change",
            args=[kind_of(organisation, RequestKind.CONSENT_WITHDRAWAL).pk],
        ),
    }


def query_counts(client, organisation):
    counts = {}
    for name, url in pages(organisation).items():
        client.get(url)  # caches warmed (calendars, permissions) as on a working day
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, name
        counts[name] = len(captured.captured_queries)
    return counts


@pytest.mark.django_db
def test_staff_pages_ask_as_many_queries_with_few_rows_as_with_many(client):
    organisation = make_organisation("counted", name="Counted Bank ASC")
    dpo = make_user(Role.DPO, organisation, username="counted-dpo")
    log_in(client, dpo)
    add_rows(organisation, dpo, 2)
    work_on(organisation, dpo)
    few = query_counts(client, organisation)

    add_rows(organisation, dpo, 8)
    work_on(organisation, dpo)
    many = query_counts(client, organisation)

    assert many == few, many
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert 'id="incoming-mail"' in dashboard and 'id="unfinished-sweeps"' in dashboard
    assert {name: n for name, n in many.items() if n > PAGE_BUDGET} == {}
