"""The record inventory through the integration API: a system pushes its records, and says which
it no longer holds.

A batch goes through the file import's own code path (retention.imports.Importer): the same
checks, the same words for a bad row, the same expiry and the same upsert. The token's system is
every row's system: a token cannot push records into another system.
"""

from typing import Annotated, NotRequired

from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict
from typing_extensions import TypedDict  # pydantic's choice below Python 3.12

from dpo_portal.api.authentication import TokenAuth
from dpo_portal.api.idempotency import HEADER_DOC, idempotent
from dpo_portal.api.models import Scope
from dpo_portal.api.problems import invalid, problems
from dpo_portal.api.schemas import Input, NoNul
from dpo_portal.api.services import api_actor_details
from dpo_portal.audit.models import AuditEvent

from .imports import Importer
from .models import EndAction, Record
from .services import dispose_records

MAX_BATCH = 10_000

router = Router(tags=["inventory"])
# 10,000 records of a few hundred bytes each.
push_auth = TokenAuth(Scope.PUSH_INVENTORY, max_body_bytes=8 * 1024 * 1024)

DATE_HELP = "YYYY-MM-DD or DD.MM.YYYY, as in the file import."


def text_field(max_length, description, optional=False):
    kind = str | None if optional else str
    field = Annotated[kind, Field(max_length=max_length, description=description), NoNul]
    return NotRequired[field] if optional else field


class RecordIn(TypedDict):
    """One record, in the file import's columns (the system is the token's)."""

    # A TypedDict, not a Schema: the importer reads plain dicts, and pydantic validates 10,000
    # of them in its core, where 10,000 Schema objects (each wrapped, checked twice for extra
    # keys, then dumped back to a dict) took most of a batch's time in Python.
    __pydantic_config__ = ConfigDict(extra="forbid")

    subject_ref: text_field(100, "The person's reference.", optional=True)
    subject_fin: text_field(20, "Or their FIN.", optional=True)
    category: text_field(60, "Data category code.")
    activity: text_field(60, "Processing activity code.", optional=True)
    external_id: text_field(200, "The record's id in this system.")
    collected_at: text_field(20, DATE_HELP)
    clock_start: text_field(20, DATE_HELP, optional=True)


class RecordBatchIn(Schema):
    # Each item's text is checked for NUL by its own fields (NoNul), not walked again by Input.
    records: list[RecordIn] = Field(min_length=1, max_length=MAX_BATCH)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "records": [
                        {
                            "subject_ref": "CUST-000123",
                            "category": "loan-history",
                            "activity": "lending",
                            "external_id": "LOAN-2024-0042",
                            "collected_at": "2024-05-14",
                        }
                    ]
                }
            ]
        }
    }


class RecordBatchOut(Schema):
    received: int
    written: int


class ReleasedIn(Input):
    external_ids: list[str] = Field(min_length=1, max_length=MAX_BATCH)

    model_config = {
        "json_schema_extra": {"examples": [{"external_ids": ["LOAN-2019-0001", "LOAN-2019-0002"]}]}
    }


class ReleasedOut(Schema):
    disposed: int
    kept_on_hold: int
    unknown: int


def import_rows(batch, system_code):
    """(index, row) pairs for Importer.build: the file's columns, the token's system. The items
    are the dicts pydantic made for this request: the system goes into each in place."""
    for item in batch.records:
        item["system"] = system_code
    return list(enumerate(batch.records))


@router.post(
    "/records/batch",
    auth=push_auth,
    response={200: RecordBatchOut, **problems(401, 403, 409, 413, 422, 429)},
    operation_id="records_batch",
    summary="Push up to 10,000 records of this system",
    description="All or nothing: one bad record refuses the batch, each error with its index, "
    "field and reason (the same words as the file import). A record is identified by its "
    "external id and category in this system; pushing it again updates it. Expiry is computed "
    "from the retention rules, as in the import. Erased people are refused.",
    openapi_extra={"parameters": [HEADER_DOC]},
)
def records_batch(request, payload: RecordBatchIn):
    token = request.auth
    return idempotent(request, "records.batch", lambda: push(token, payload))


@transaction.atomic
def push(token, payload):
    rows = import_rows(payload, token.system.code)
    importer = Importer(token.organisation)
    records = importer.build(rows)
    if importer.errors:
        raise invalid(
            _("%(n)s records are not valid; nothing was written.") % {"n": len(importer.errors)},
            [
                {"index": number, "field": column, "reason": str(reason)}
                for number, column, _value, reason in importer.errors
            ],
        )
    written = importer.write(records)
    AuditEvent.record(
        "api.records_pushed",
        organisation=token.organisation,
        actor=None,
        target=token.system,
        records=written,
        **api_actor_details(token),
    )
    return Status(200, {"received": len(rows), "written": written})


@router.post(
    "/records/released",
    auth=TokenAuth(Scope.PUSH_INVENTORY, max_body_bytes=2 * 1024 * 1024),
    response={200: ReleasedOut, **problems(401, 403, 409, 413, 422, 429)},
    operation_id="records_released",
    summary="Say which records this system no longer holds",
    description="Marks this system's records with these external ids disposed (erased), with "
    "the system as the actor, except those under a legal hold, which are counted and kept. Ids "
    "this system does not hold are counted as unknown.",
    openapi_extra={"parameters": [HEADER_DOC]},
)
def records_released(request, payload: ReleasedIn):
    token = request.auth
    return idempotent(request, "records.released", lambda: release(token, payload))


@transaction.atomic
def release(token, payload):
    external_ids = set(payload.external_ids)
    records = Record.objects.filter(
        organisation_id=token.organisation_id,
        system_id=token.system_id,
        external_id__in=external_ids,
    )
    known = set(records.values_list("external_id", flat=True).distinct())
    result = dispose_records(records, actor=None, action=EndAction.ERASE, reason="no_longer_held")
    AuditEvent.record(
        "api.records_released",
        organisation=token.organisation,
        actor=None,
        target=token.system,
        disposed=result.disposed,
        kept_on_hold=result.held,
        **api_actor_details(token),
    )
    return Status(
        200,
        {
            "disposed": result.disposed,
            "kept_on_hold": result.held,
            "unknown": len(external_ids - known),
        },
    )
