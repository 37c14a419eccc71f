"""Builders for the fulfilment and access tests: a person with records in several systems, and a
request from them that is matched and verified."""

import datetime

from django.db import connection
from django.utils import timezone

from requests import fulfilment, services
from requests.models import IdentityMethod, RequestChannel, RequestKind, SubjectRequest
from retention.models import Record
from tests.factories import (
    Role,
    make_category,
    make_organisation,
    make_subject,
    make_system,
    make_user,
)


def make_person(organisation, **fields):
    """A data subject with identifiers that appear nowhere else in the database."""
    fields.setdefault("first_name", "Gülnarə")
    fields.setdefault("last_name", "Zeynalova-Qasımlı")
    fields.setdefault("fin", "7QK3RZ9")
    fields.setdefault("phone", "+994551239876")
    fields.setdefault("email", "gulnare.zeynalova@example.az")
    fields.setdefault("address", "Bakı, Nərimanov r., Təbriz küç. 17")
    return make_subject(organisation, **fields)


def make_record(subject, system, category, **fields):
    fields.setdefault("external_id", f"{system.code}-{Record.objects.count() + 1}")
    fields.setdefault("collected_at", datetime.date(2022, 3, 1))
    return Record.objects.create(
        organisation_id=subject.organisation_id,
        subject=subject,
        system=system,
        category=category,
        **fields,
    )


def make_request(subject, *, actor, kind=RequestKind.DELETION, verify=True, **fields):
    """A request received from ``subject``, matched to them and (by default) verified."""
    fields.setdefault("requester_name", f"{subject.first_name} {subject.last_name}")
    fields.setdefault("requester_email", subject.email)
    fields.setdefault("requester_phone", subject.phone)
    fields.setdefault("requester_fin", subject.fin)
    fields.setdefault("details", f"Please delete all data of {subject.first_name}.")
    fields.setdefault("received_at", timezone.now() - datetime.timedelta(days=1))
    request = services.register_request(
        SubjectRequest(
            organisation_id=subject.organisation_id,
            kind=kind,
            channel=RequestChannel.PAPER_WITH_ID,
            **fields,
        ),
        actor=actor,
    )
    request = services.match_subject(request, subject, actor=actor)
    if verify:
        request = services.verify_identity(
            request, method=IdentityMethod.ID_DOCUMENT_COPY, actor=actor
        )
    return request


def three_systems(organisation):
    """The core banking system, the CRM and the AML screening archive, with a category each."""
    return (
        make_system(organisation, "core-banking", name="Core banking"),
        make_system(organisation, "crm", name="CRM"),
        make_system(organisation, "aml-archive", name="AML screening archive"),
    )


def dpo_and_organisation():
    organisation = make_organisation("allall-test", name="AllAll Finance MMC")
    dpo = make_user(Role.DPO, organisation, username="dpo-fulfil")
    return organisation, dpo


__all__ = [
    "dpo_and_organisation",
    "make_category",
    "make_person",
    "make_record",
    "make_request",
    "three_systems",
]


TEXT_TYPES = {"CharField", "TextField", "JSONField", "SlugField", "EmailField"}


def tables_containing(*needles):
    """{needle: [table.column, ...]} for every text column of every table that holds it."""
    found = {needle: [] for needle in needles}
    introspection = connection.introspection
    with connection.cursor() as cursor:
        for table in introspection.table_names(cursor):
            for column in introspection.get_table_description(cursor, table):
                field_type = introspection.get_field_type(column.type_code, column)
                if field_type not in TEXT_TYPES:
                    continue
                name = connection.ops.quote_name(column.name)
                for needle in needles:
                    cursor.execute(
                        f"SELECT 1 FROM {connection.ops.quote_name(table)} "
                        f"WHERE {name}::text ILIKE %s LIMIT 1",
                        [f"%{needle}%"],
                    )
                    if cursor.fetchone():
                        found[needle].append(f"{table}.{column.name}")
    return {needle: places for needle, places in found.items() if places}


def resolve_all_as_erased(request, dpo):
    tasks = fulfilment.open_tasks_for(request, actor=dpo)
    for task in tasks:
        fulfilment.resolve_task(task, actor=dpo, resolution=fulfilment.Resolution.ERASED)
    return {task.system.code: task for task in request.tasks.select_related("system")}
