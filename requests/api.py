"""Requests and tasks through the integration API.

A website or app sends a request in (requests.services.register_request, like staff intake: the
same checks, reference and due date) and reads its status — never the DPO's notes. A system
lists its open tasks with what it needs to act (its own record ids and the categories, not the
person's other identifiers) and answers each with a receipt (requests.receipts.record_receipt).

Every query starts from the token's organisation and system: another system's task or another
organisation's request answers 404, as if it did not exist.
"""

import base64
import binascii
import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate

from dpo_portal.api.authentication import TokenAuth
from dpo_portal.api.idempotency import HEADER_DOC, idempotent
from dpo_portal.api.models import Scope
from dpo_portal.api.problems import ApiProblem, invalid, problems
from dpo_portal.api.schemas import Input, has_nul
from dpo_portal.api.services import api_actor_details
from dpo_portal.audit.models import AuditEvent
from retention.models import Record

from . import attachments, receipts, services
from .models import (
    CLOSED_STATUSES,
    AttachmentKind,
    KeptReason,
    ReceiptOutcome,
    ReceiptSource,
    RequestChannel,
    RequestKind,
    RequestTask,
    SubjectRequest,
    TaskAction,
    TaskStatus,
)

router = Router(tags=["requests"])
tasks_router = Router(tags=["tasks"])

# --- Requests in ------------------------------------------------------------------------------

MAX_ATTACHMENTS = 5
requests_auth = TokenAuth(Scope.TAKE_REQUESTS, max_body_bytes=12 * 1024 * 1024)
tasks_auth = TokenAuth(Scope.ANSWER_TASKS, max_body_bytes=6 * 1024 * 1024)


def choices_of(choices):
    return {"enum": list(choices.values)}


class RequesterIn(Input):
    name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)
    fin: str = Field("", max_length=20)
    id_document: str = Field("", max_length=30)
    address: str = Field("", max_length=500)


class AttachmentIn(Input):
    kind: str = Field(json_schema_extra=choices_of(AttachmentKind))
    file_name: str = Field(max_length=255)
    content_base64: str = Field(description="The file, base64-encoded.")


class RequestIn(Input):
    kind: str = Field(json_schema_extra=choices_of(RequestKind))
    channel: str = Field(description="web or app", json_schema_extra={"enum": ["web", "app"]})
    requester: RequesterIn
    account_id: str = Field("", max_length=100, description="The person's account here.")
    details: str = Field("", max_length=5000)
    attachments: list[AttachmentIn] = Field([], max_length=MAX_ATTACHMENTS)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "kind": "deletion",
                    "channel": "app",
                    "requester": {"name": "Aysel Məmmədova", "email": "aysel@example.az"},
                    "account_id": "U-99812",
                    "details": "Delete my account and my data.",
                }
            ]
        }
    }


class RequestStatusOut(Schema):
    reference: str
    kind: str
    status: str
    status_label: str
    received_at: datetime.datetime
    due_on: datetime.date | None
    closed_at: datetime.datetime | None
    outcome: str | None = Field(description="Set once the request is closed.")
    status_url: str


REQUESTER_FIELD = {
    "name": "requester_name",
    "email": "requester_email",
    "phone": "requester_phone",
    "fin": "requester_fin",
    "id_document": "requester_id_document",
    "address": "requester_address",
}
FIELD_IN_API = {model: f"requester.{api}" for api, model in REQUESTER_FIELD.items()}
FIELD_IN_API["__all__"] = "requester"


def status_of(subject_request, http_request):
    url = reverse("api:requests_status", args=[subject_request.reference])
    return {
        "reference": subject_request.reference,
        "kind": subject_request.kind,
        "status": subject_request.status,
        "status_label": str(subject_request.get_status_display()),
        "received_at": subject_request.received_at,
        "due_on": subject_request.due_on,
        "closed_at": subject_request.closed_at,
        "outcome": subject_request.status if subject_request.status in CLOSED_STATUSES else None,
        "status_url": http_request.build_absolute_uri(url),
    }


def choice_error(value, choices, field, index=None):
    if value not in choices.values:
        raise invalid(
            _("Some fields are not valid."),
            [{"index": index, "field": field, "reason": _("Not one of the choices.")}],
        )


def upload_of(attachment, index):
    try:
        content = base64.b64decode(attachment.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise invalid(
            _("An attachment is not valid base64."),
            [{"index": index, "field": "content_base64", "reason": _("Not base64.")}],
        ) from None
    return SimpleUploadedFile(attachment.file_name, content)


@router.post(
    "/requests",
    auth=requests_auth,
    response={201: RequestStatusOut, **problems(401, 403, 409, 413, 422, 429)},
    operation_id="requests_create",
    summary="Send a data subject's request in",
    description="Creates the request in the triage queue with its reference and due date, as "
    "staff intake would. At least one identifier or contact of the requester is required, each "
    "in the register's format. The response carries the reference and the status URL.",
    openapi_extra={"parameters": [HEADER_DOC]},
)
def requests_create(request, payload: RequestIn):
    token = request.auth
    return idempotent(request, "requests.create", lambda: take_in(request, token, payload))


@transaction.atomic
def take_in(http_request, token, payload):
    choice_error(payload.kind, RequestKind, "kind")
    if payload.channel not in (RequestChannel.WEB, RequestChannel.APP):
        choice_error("", RequestKind, "channel")
    for index, attachment in enumerate(payload.attachments):
        choice_error(attachment.kind, AttachmentKind, "kind", index)
    subject_request = SubjectRequest(
        organisation_id=token.organisation_id,
        kind=payload.kind,
        channel=payload.channel,
        requester_account_id=payload.account_id.strip(),
        details=payload.details.strip(),
        received_via_id=token.system_id,
        **{REQUESTER_FIELD[k]: v.strip() for k, v in payload.requester.model_dump().items()},
    )
    try:
        services.register_request(subject_request, actor=None)
    except ValidationError as error:
        raise invalid(
            _("The request was not taken in."),
            [
                {"index": None, "field": FIELD_IN_API.get(field, field), "reason": message}
                for field, messages in error.message_dict.items()
                for message in messages
            ],
        ) from None
    for index, attachment in enumerate(payload.attachments):
        try:
            attachments.attach_file(
                subject_request, upload_of(attachment, index), kind=attachment.kind, actor=None
            )
        except ValidationError as error:
            raise invalid(
                _("An attachment was refused."),
                [{"index": index, "field": "content_base64", "reason": m} for m in error.messages],
            ) from None
    AuditEvent.record(
        "api.request_received",
        organisation=token.organisation,
        actor=None,
        target=subject_request,
        **api_actor_details(token),
    )
    return Status(201, status_of(subject_request, http_request))


@router.get(
    "/requests/{reference}",
    auth=requests_auth,
    response={200: RequestStatusOut, **problems(401, 403, 404, 429)},
    operation_id="requests_status",
    summary="A request's status, due date and outcome",
    description="Only for requests this system sent in. Never the DPO's notes.",
)
def requests_status(request, reference: str):
    token = request.auth
    if has_nul(reference):
        raise ApiProblem("not-found", 404)
    subject_request = get_object_or_404(
        SubjectRequest,
        organisation_id=token.organisation_id,
        received_via_id=token.system_id,
        reference=reference,
    )
    return Status(200, status_of(subject_request, request))


# --- Tasks and receipts -----------------------------------------------------------------------


class TaskRecordOut(Schema):
    external_id: str
    category: str = Field(description="Data category code.")


class TaskOut(Schema):
    id: int
    request_reference: str
    action: str = Field(json_schema_extra=choices_of(TaskAction))
    status: str = Field(json_schema_extra=choices_of(TaskStatus))
    due_on: datetime.date | None
    created_at: datetime.datetime
    records: list[TaskRecordOut] = Field(description="This system's records of the person.")
    categories: list[str]
    receipt_url: str


class TaskFilter(Input):
    status: str = Field(TaskStatus.OPEN.value, json_schema_extra=choices_of(TaskStatus))


class TaskPagination(CursorPagination):
    """Pages of 100 by an opaque cursor over the id, stable while tasks are added; the records
    of the page's people come in one query."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page["results"] = task_payloads(page["results"], request.auth.system_id, request)
        return page


def task_payloads(tasks, system_id, http_request):
    tasks = list(tasks)
    subjects = {task.request.subject_id for task in tasks if task.request.subject_id}
    records = {}
    rows = (
        Record.objects.filter(system_id=system_id, subject_id__in=subjects)
        .undisposed()
        .order_by("external_id")
        .values_list("subject_id", "external_id", "category__code")
    )
    for subject_id, external_id, category in rows:
        records.setdefault(subject_id, []).append(
            {"external_id": external_id, "category": category}
        )
    return [
        {
            "id": task.pk,
            "request_reference": task.request.reference,
            "action": task.action,
            "status": task.status,
            "due_on": task.due_on,
            "created_at": task.created_at,
            "records": records.get(task.request.subject_id, []),
            "categories": sorted({r["category"] for r in records.get(task.request.subject_id, [])}),
            "receipt_url": http_request.build_absolute_uri(
                reverse("api:tasks_receipt", args=[task.pk])
            ),
        }
        for task in tasks
    ]


@tasks_router.get(
    "/tasks",
    auth=tasks_auth,
    response={200: list[TaskOut], **problems(401, 403, 422, 429)},
    operation_id="tasks_list",
    summary="This system's tasks",
    description="Open tasks by default. Each names the person's records in this system (their "
    "external ids and categories) — not the person's other identifiers.",
)
@paginate(TaskPagination, ordering=("pk",), page_size=100, max_page_size=500)
def tasks_list(request, filters: Query[TaskFilter]):
    choice_error(filters.status, TaskStatus, "status")
    token = request.auth
    return RequestTask.objects.filter(
        organisation_id=token.organisation_id, system_id=token.system_id, status=filters.status
    ).select_related("request")


class TableIn(Input):
    table: str = Field(min_length=1, max_length=200)
    matched: int = Field(ge=0)
    changed: int = Field(ge=0)
    statement: str = Field("", max_length=5000)


class ReceiptIn(Input):
    outcome: str = Field(json_schema_extra=choices_of(ReceiptOutcome))
    kept_reason: str = Field("", json_schema_extra={"enum": ["", *KeptReason.values]})
    note: str = Field("", max_length=2000)
    acted_at: datetime.datetime = Field(description="When the system acted, with its time zone.")
    tables: list[TableIn] = Field([], max_length=500)
    export: dict | list | None = Field(None, description="An export task's data (at most 5 MB).")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "outcome": "done",
                    "acted_at": "2026-03-02T10:15:00+04:00",
                    "tables": [
                        {"table": "customers", "matched": 1, "changed": 1},
                        {"table": "loan_contacts", "matched": 2, "changed": 2},
                    ],
                }
            ]
        }
    }


class ReceiptOut(Schema):
    id: int
    task: int
    task_status: str = Field(json_schema_extra=choices_of(TaskStatus))
    received_at: datetime.datetime
    sha256: str


@tasks_router.post(
    "/tasks/{task_id}/receipt",
    auth=tasks_auth,
    response={201: ReceiptOut, **problems(401, 403, 404, 409, 413, 422, 429)},
    operation_id="tasks_receipt",
    summary="Answer a task with a receipt",
    description="Done or kept (with the reason, from the same list the DPO uses), per table the "
    "rows matched and changed, when the system acted and, for an export, the data. Resolves the "
    "task as the DPO's choice would. A task answered already: 409.",
    openapi_extra={"parameters": [HEADER_DOC]},
)
def tasks_receipt(request, task_id: int, payload: ReceiptIn):
    token = request.auth
    return idempotent(request, "tasks.receipt", lambda: answer(token, task_id, payload))


def answer(token, task_id, payload):
    task = get_object_or_404(
        RequestTask, pk=task_id, organisation_id=token.organisation_id, system_id=token.system_id
    )
    choice_error(payload.outcome, ReceiptOutcome, "outcome")
    if payload.kept_reason:
        choice_error(payload.kept_reason, KeptReason, "kept_reason")
    try:
        receipt = receipts.record_receipt(
            task,
            source=ReceiptSource.API,
            outcome=payload.outcome,
            kept_reason=payload.kept_reason,
            note=payload.note,
            acted_at=payload.acted_at,
            tables=[table.model_dump() for table in payload.tables],
            export=payload.export,
            details={"api_token_id": token.pk},
            actor=None,
        )
    except receipts.TaskAlreadyResolved:
        raise ApiProblem("conflict", 409, _("This task was answered already.")) from None
    task.refresh_from_db(fields=["status"])
    return Status(
        201,
        {
            "id": receipt.pk,
            "task": task.pk,
            "task_status": task.status,
            "received_at": receipt.received_at,
            "sha256": receipt.sha256,
        },
    )
