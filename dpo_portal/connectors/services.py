"""What the portal does in a connected system: preview, erase, read for access, read the
inventory. Retention and requests call these (this app knows only the register); they decide
what is held and record the outcome in their own models.

Erasure works in two steps inside one transaction on the write role: first the primary keys of
the person's rows in every collection are found (from the identity columns, then along the map's
references), then the statements run children first, each on that set of keys, so a parent's
rows are still found after its children are gone. A retention batch names its rows already (the
inventory's ids): its statements run on those keys straight away (dispose_rows), with no read of
the rows first.
"""

import hashlib
import hmac
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import DataSubject, SuppressionEntry
from dpo_portal.register.services import subject_digests

from . import engine, mapping, statements
from .datamap import IDENTITY_FIELDS
from .models import ConnectorRun, RunStatus

DELETE, UPDATE, KEEP = "delete", "update", "keep"


@dataclass
class TablePlan:
    table: str
    action: str  # delete | update | keep
    keys: list = field(default_factory=list)
    strategies: dict = field(default_factory=dict)
    reason: str = ""
    held: bool = False  # kept because a legal hold covers its rows

    @property
    def matched(self):
        return len(self.keys)


def identity_values(subjects):
    """{identity type: [values]} of the people, from the register's fields."""
    values = {}
    for identity, attribute in IDENTITY_FIELDS.items():
        found = sorted({str(getattr(s, attribute) or "").strip() for s in subjects} - {""})
        if found:
            values[identity] = found
    return values


def find_rows(source, the_map, identities):
    """{collection: [primary keys]} of the rows tied to the identities."""
    dialect = source.dialect
    dataset = the_map.dataset
    found = {}
    for name, link in the_map.links.items():  # breadth first: a parent comes before its children
        collection = dataset.collections[name]
        pk = collection.primary_key
        keys = set()
        if link is None:
            lookups = [
                (f.name, identities[f.identity])
                for f in collection.identity_fields
                if f.identity in identities
            ]
            for statement in statements.identity_lookup(dialect, name, pk, lookups):
                keys.update(row[0] for row in source.fetchall(statement))
        else:
            parent = dataset.collections[link.parent]
            parent_keys = found.get(link.parent, [])
            if parent_keys:
                for statement in statements.linked_lookup(
                    dialect,
                    name,
                    pk,
                    link.field,
                    link.parent,
                    parent.primary_key,
                    link.parent_field,
                    parent_keys,
                ):
                    keys.update(row[0] for row in source.fetchall(statement))
        found[name] = sorted(keys, key=lambda k: (str(type(k)), k))
    return found


def located_rows(source, the_map, rows):
    """{collection: [primary keys]} of the given rows ({collection: [keys as text]}, from the
    inventory's ids) that the source still holds, as the source types them. Collections the map
    does not link to an identity are left out (the caller counts those records as not located)."""
    dialect = source.dialect
    found = {}
    for name in the_map.links:
        wanted = rows.get(name)
        if not wanted:
            continue
        collection = the_map.dataset.collections[name]
        keys = set()
        for statement in statements.key_lookup(dialect, name, collection.primary_key, wanted):
            keys.update(row[0] for row in source.fetchall(statement))
        found[name] = sorted(keys, key=lambda k: (str(type(k)), k))
    return found


def _children(dataset, name):
    """(child collection, its referencing field, the referenced field) of ``name``'s rows."""
    for child in dataset.collections.values():
        for item in child.fields.values():
            for ref in item.references:
                if ref.collection == name and child.name != name:
                    yield child, item.name, ref.field


def plan_disposal(source, the_map, found, *, categories, held_categories=()):
    """The TablePlans of a disposal of some categories in given rows (a retention batch), in
    execution order. Only the fields of those categories change, never one that also carries a
    held category; a collection's rows are deleted only when the map says so and every
    category of the collection is being disposed of, and a row that rows staying behind still
    reference has its fields erased instead (deleting it would break them)."""
    categories, held_categories = set(categories), set(held_categories)
    dataset = the_map.dataset
    deleted = {}
    plans = []
    for name in dataset.deletion_order():
        keys = found.get(name)
        if not keys:
            continue
        collection = dataset.collections[name]
        strategies, held, deletable = _disposal_rule(the_map, name, categories, held_categories)
        staying = set()
        if deletable:
            for child, field_name, parent_field in _children(dataset, name):
                going = {str(k) for k in deleted.get(child.name, ())}
                for statement in statements.child_references(
                    source.dialect,
                    child.name,
                    child.primary_key,
                    field_name,
                    name,
                    collection.primary_key,
                    parent_field,
                    keys,
                ):
                    staying.update(
                        parent
                        for child_key, parent in source.fetchall(statement)
                        if str(child_key) not in going
                    )
        delete_keys = [k for k in keys if k not in staying] if deletable else []
        update_keys = [k for k in keys if k in staying] if deletable else list(keys)
        if delete_keys:
            plans.append(TablePlan(name, DELETE, delete_keys))
            deleted[name] = delete_keys
        if update_keys and strategies:
            plans.append(TablePlan(name, UPDATE, update_keys, strategies))
        elif update_keys:
            reason = _kept_reason(the_map, name, categories, held)
            plans.append(TablePlan(name, KEEP, update_keys, reason=reason, held=held))
    return plans


def _disposal_rule(the_map, name, categories, held_categories):
    """(strategies, held, deletable) of a collection in a disposal of ``categories``: the fields
    that change (of those categories, and of no held one), whether a held category is in it,
    and whether its rows may be deleted (the map says so and every category is disposed of)."""
    fields = the_map.categories.get(name, {})
    strategies = {
        column: strategy
        for column, strategy in the_map.strategies.get(name, {}).items()
        if fields.get(column, set()) & categories
        and not fields.get(column, set()) & held_categories
    }
    held = any(fields.get(column, set()) & held_categories for column in fields)
    deletable = (
        the_map.dataset.collections[name].delete_rows
        and not held
        and the_map.collection_categories(name) <= categories
    )
    return strategies, held, deletable


def _kept_reason(the_map, name, categories, held):
    fields = the_map.categories.get(name, {})
    if held and any(fields.get(column, set()) & categories for column in fields):
        return _("under a legal hold")
    return _("no personal field to erase")


def dispose_rows(source, the_map, rows, *, categories, held_categories, salt):
    """Carry a retention batch's disposal out (the same rules as plan_disposal, which the
    preview shows), with the statements themselves finding the rows: no read beforehand.

    Per collection, children first: the rows among the batch's keys ({collection: [keys as
    text]}) that nothing left behind references are deleted (the statement's own NOT EXISTS;
    the batch's child rows are already gone), those still referenced, or in a collection whose
    rows are not deleted, have the batch's fields erased, or are counted as kept. An entry's
    ``matched`` is the number of the batch's rows the source held that its statement found, so
    for a deletion or an update it equals ``changed``; an entry that found none is left out, as
    the preview shows none. Returns the receipt's tables."""
    categories, held_categories = set(categories), set(held_categories)
    dataset = the_map.dataset
    tables = []
    for name in dataset.deletion_order():
        keys = rows.get(name)
        if not keys or name not in the_map.links:
            continue
        pk = dataset.collections[name].primary_key
        strategies, held, deletable = _disposal_rule(the_map, name, categories, held_categories)
        if deletable:
            children = [
                (c.name, f, parent_field) for c, f, parent_field in _children(dataset, name)
            ]
            batch = statements.delete_unreferenced(source.dialect, name, pk, children, keys)
            tables.append(_receipt_entry(source, name, DELETE, batch))
        if strategies:
            batch = statements.update_fields(
                source.dialect, name, pk, keys, strategies, salt, keys_as_text=True
            )
            tables.append(_receipt_entry(source, name, UPDATE, batch, fields=sorted(strategies)))
        else:
            kept = sum(
                source.fetchall(statement)[0][0]
                for statement in statements.count_keys(source.dialect, name, pk, keys)
            )
            tables.append(
                _table_receipt(
                    name,
                    KEEP,
                    matched=kept,
                    kept_reason=_kept_reason(the_map, name, categories, held),
                )
            )
    return [table for table in tables if table["matched"]]


def _receipt_entry(source, table, action, batch, *, fields=()):
    """Run a statement batch; its receipt entry (what it found is what it changed)."""
    changed = sum(source.execute(statement) for statement in batch)
    return _table_receipt(
        table,
        action,
        matched=changed,
        changed=changed,
        fields=fields,
        statement=source.shape(batch[0]),
    )


def _table_receipt(table, action, *, matched, changed=0, fields=(), statement="", kept_reason=""):
    """One table's line of a run's receipt (counts and the statement's shape, no values)."""
    return {
        "table": table,
        "action": action,
        "matched": matched,
        "changed": changed,
        "fields": list(fields),
        "statement": statement,
        "kept_reason": str(kept_reason),
    }


def plan(the_map, found, *, held_categories=(), held_rows=None):
    """The TablePlans in execution order (children first). Fields of a held category are not
    touched: a collection holding one keeps its rows, and so does every parent whose rows they
    reference (deleting those would break the held rows' references)."""
    held_categories, held_rows = set(held_categories), held_rows or {}
    dataset = the_map.dataset
    held_tables = {
        name
        for name in dataset.collections
        if the_map.collection_categories(name) & held_categories
    }
    plans = {}
    for name in dataset.deletion_order():
        if name not in found:
            continue
        collection = dataset.collections[name]
        excluded = {str(k) for k in held_rows.get(name, ())}
        keys = [k for k in found[name] if str(k) not in excluded]
        if name in held_tables:
            plans[name] = TablePlan(name, KEEP, keys, reason=_("under a legal hold"), held=True)
        elif collection.delete_rows:
            plans[name] = TablePlan(name, DELETE, keys)
        elif the_map.strategies.get(name):
            plans[name] = TablePlan(name, UPDATE, keys, dict(the_map.strategies[name]))
        else:
            plans[name] = TablePlan(name, KEEP, keys, reason=_("no personal field to erase"))
    # Parents of kept rows cannot lose those rows: deleting them would break the kept rows'
    # references (the database would refuse, and the run roll back).
    changed = True
    while changed:
        changed = False
        for child in plans.values():
            if child.action != KEEP or not child.keys:
                continue
            for item in dataset.collections[child.table].fields.values():
                for ref in item.references:
                    parent = plans.get(ref.collection)
                    if parent is not None and parent.action == DELETE:
                        parent.action, parent.held = KEEP, child.held
                        parent.reason = (
                            _("referenced by rows under a legal hold")
                            if child.held
                            else _("referenced by rows that are kept")
                        )
                        changed = True
    return list(plans.values())


def _salt(organisation_id):
    # The suppression key, not SECRET_KEY: it outlives a key rotation, so the same person hashes
    # to the same value in the source before and after.
    return hmac.new(
        settings.SUPPRESSION_HASH_KEY.encode(),
        f"connector-hash:{organisation_id}".encode(),
        hashlib.sha256,
    ).hexdigest()


def _plans(source, the_map, subjects, rows, categories, held_categories, held_rows):
    """A person's rows found by their identities (a request), or given rows with the
    categories to dispose of (a retention batch)."""
    if rows is None:
        found = find_rows(source, the_map, identity_values(subjects))
        return plan(the_map, found, held_categories=held_categories, held_rows=held_rows)
    return plan_disposal(
        source,
        the_map,
        located_rows(source, the_map, rows),
        categories=categories,
        held_categories=held_categories,
    )


def preview(
    connector, subjects=(), *, rows=None, categories=(), held_categories=(), held_rows=None
):
    """Read-only: the TablePlans with the rows each would change. Raises SourceError.
    ``subjects`` for a request; ``rows`` ({collection: [keys]}) and ``categories`` for a batch."""
    the_map = mapping.load(connector)
    with engine.session(connector) as source:
        return _plans(source, the_map, subjects, rows, categories, held_categories, held_rows)


def erase(connector, subjects=(), *, rows=None, categories=(), held_categories=(), held_rows=None):
    """Carry the plan out in one transaction on the write role. Returns (server, database,
    tables): per table the action, rows matched and changed and the statement shape (no values).
    Any failure rolls the whole transaction back and raises SourceError. ``rows`` (a batch) are
    carried out by dispose_rows, a person's (``subjects``) by their plan."""
    the_map = mapping.load(connector)
    salt = _salt(connector.organisation_id)
    tables = []
    with engine.session(connector, write=True) as source:
        if rows is not None:
            tables = dispose_rows(
                source,
                the_map,
                rows,
                categories=categories,
                held_categories=held_categories,
                salt=salt,
            )
            return source.server, source.database, tables
        found = find_rows(source, the_map, identity_values(subjects))
        for table_plan in plan(
            the_map, found, held_categories=held_categories, held_rows=held_rows
        ):
            collection = the_map.dataset.collections[table_plan.table]
            changed, shapes = 0, []
            if table_plan.action != KEEP and table_plan.keys:
                if table_plan.action == DELETE:
                    batch = statements.delete_rows(
                        source.dialect, table_plan.table, collection.primary_key, table_plan.keys
                    )
                else:
                    batch = statements.update_fields(
                        source.dialect,
                        table_plan.table,
                        collection.primary_key,
                        table_plan.keys,
                        table_plan.strategies,
                        salt,
                    )
                for statement in batch:
                    changed += source.execute(statement)
                shapes.append(source.shape(batch[0]))
            tables.append(
                _table_receipt(
                    table_plan.table,
                    table_plan.action,
                    matched=table_plan.matched,
                    changed=changed,
                    fields=sorted(table_plan.strategies) if table_plan.action == UPDATE else [],
                    statement=shapes[0] if shapes else "",
                    kept_reason=table_plan.reason,
                )
            )
        return source.server, source.database, tables


def read_person(connector, subject):
    """{collection: [ {field: value} ]} of the mapped fields of the person's rows (read-only)."""
    the_map = mapping.load(connector)
    result = {}
    with engine.session(connector) as source:
        found = find_rows(source, the_map, identity_values([subject]))
        for name, keys in found.items():
            if not keys:
                continue
            collection = the_map.dataset.collections[name]
            fields = list(collection.fields)
            rows = []
            for statement in statements.select_fields(
                source.dialect, name, collection.primary_key, keys, fields
            ):
                rows.extend(
                    dict(zip(fields, row, strict=True)) for row in source.fetchall(statement)
                )
            result[name] = rows
    return result


@dataclass
class InventoryCollection:
    """One collection the sync reads: its rows are (primary key, identity values…, collection
    date), the identity values named by the register field each one matches."""

    name: str
    category_ids: list
    identity_fields: list  # register fields (IDENTITY_FIELDS' values), one per identity column


def inventory(connector, *, chunk=50_000):
    """The rows that identify a person, chunk by chunk: yields (InventoryCollection, [rows]).
    Collections without a collection-date column or a mapped category are left out (see
    ``unsynced``). Read-only; one query per collection, streamed."""
    the_map = mapping.load(connector)
    with engine.session(connector) as source:
        for name in the_map.links:
            collected_at = the_map.collected_at.get(name)
            category_ids = sorted(the_map.collection_categories(name))
            if not collected_at or not category_ids:
                continue
            collection = the_map.dataset.collections[name]
            path, root = the_map.dataset.path_to_identity(name, the_map.links)
            identities = [
                f for f in the_map.dataset.collections[root].identity_fields if f.identity
            ]
            if not identities:
                continue
            spec = InventoryCollection(
                name, category_ids, [IDENTITY_FIELDS[f.identity] for f in identities]
            )
            statement = statements.inventory_rows(
                source.dialect,
                name,
                collection.primary_key,
                path,
                root,
                [f.name for f in identities],
                collected_at,
            )
            for rows in source.stream(statement, chunk):
                yield spec, rows


LOOKUP_BATCH = 5_000


def unknown_people(connector, identities, *, create):
    """People a sync found at the source that the register does not know: {register field:
    value} each. Those on the suppression list (erased people) are refused; the others are
    reported, or with ``create`` created as data subjects through the register's own checks
    (its normalisers and the model's validators; a person who fails them is reported). The
    created ones are audited with the connector as the actor. Returns the counts: erased,
    reported, created."""
    organisation_id = connector.organisation_id
    people = []
    for values in identities:
        subject = DataSubject(organisation_id=organisation_id, **values)
        subject.normalise()
        people.append((subject, subject_digests(subject)))
    wanted = sorted({digest for _subject, digests in people for digest in digests.values()})
    suppressed = set()
    for start in range(0, len(wanted), LOOKUP_BATCH):
        suppressed.update(
            SuppressionEntry.objects.filter(
                organisation_id=organisation_id, digest__in=wanted[start : start + LOOKUP_BATCH]
            ).values_list("kind", "digest")
        )
    counts = {"erased": 0, "reported": 0, "created": 0}
    new, references = [], set()
    for subject, digests in people:
        if any(item in suppressed for item in digests.items()):
            counts["erased"] += 1
            continue
        if not create:
            counts["reported"] += 1
            continue
        try:
            subject.clean_fields(exclude=["organisation", "subject_type"])
        except ValidationError:
            counts["reported"] += 1
            continue
        if subject.external_ref:
            if subject.external_ref in references:
                continue  # the same person under two spellings of another identifier
            references.add(subject.external_ref)
        new.append(subject)
    if new:
        with transaction.atomic():
            bulk_create_with_history(new, DataSubject, batch_size=2_000)
            AuditEvent.record(
                "connectors.subjects_created",
                organisation=connector.organisation,
                actor=None,
                target=connector,
                subjects=len(new),
                **connector_actor_details(connector),
            )
    counts["created"] = len(new)
    return counts


def connector_actor_details(connector):
    """What an audit event written by a sync carries about who acted: the connector."""
    return {"via": "connector", "connector_id": connector.pk, "system_id": connector.system_id}


def synced_row_count(connector):
    """How many source rows a sync reads (the job's total, for its progress bar)."""
    the_map = mapping.load(connector)
    total = 0
    with engine.session(connector) as source:
        for name in the_map.links:
            if the_map.collected_at.get(name) and the_map.collection_categories(name):
                total += source.fetchall(statements.count_rows(source.dialect, name))[0][0]
    return total


def unsynced(connector):
    """Collections the sync leaves out, with why (shown on the connector)."""
    the_map = mapping.load(connector)
    missing = []
    for name in the_map.dataset.collections:
        if not the_map.dataset.collections[name].primary_key:
            missing.append((name, _("no primary key")))
        elif name not in the_map.links:
            missing.append((name, _("not linked to an identity")))
        elif not the_map.collected_at.get(name):
            missing.append((name, _("no collection date column")))
        elif not the_map.collection_categories(name):
            missing.append((name, _("no personal field with a mapped category")))
    return missing


@transaction.atomic
def test_connection(connector, *, actor):
    """Run a harmless query; returns (ok, message). Audited, without the DSN."""
    try:
        server, database = engine.test_connection(connector)
    except engine.SourceError as error:
        ok, message = False, str(error)
    else:
        ok, message = (
            True,
            _("Connected: %(server)s, database %(database)s.")
            % {"server": server, "database": database},
        )
    AuditEvent.record(
        "connectors.connection_tested",
        organisation=connector.organisation,
        actor=actor,
        target=connector,
        ok=ok,
    )
    return ok, message


# --- runs --------------------------------------------------------------------------------------


# No savepoint of its own (two round trips in a caller's transaction): no caller goes on after
# a failure here, and the run and its event still stand or fall together.
@transaction.atomic(savepoint=False)
def queue_run(connector, *, kind, actor, task_id=None, batch_id=None):
    run = ConnectorRun.objects.create(
        organisation_id=connector.organisation_id,
        connector=connector,
        kind=kind,
        task_id=task_id,
        batch_id=batch_id,
        confirmed_by=actor,
    )
    AuditEvent.record(
        "connectors.run_queued",
        organisation=connector.organisation,
        actor=actor,
        target=run,
        task_id=task_id,
        batch_id=batch_id,
        run_kind=kind,
    )
    return run


def finish_run(run, *, server="", database="", tables=(), error="", started_at=None):
    run.status = RunStatus.FAILED if error else RunStatus.SUCCEEDED
    run.server, run.database, run.tables, run.error = server, database, list(tables), error
    run.started_at, run.finished_at = started_at or run.started_at or timezone.now(), timezone.now()
    run.save(
        update_fields=[
            "status",
            "server",
            "database",
            "tables",
            "error",
            "started_at",
            "finished_at",
            "updated_at",
        ]
    )
    AuditEvent.record(
        "connectors.run_finished",
        organisation=run.connector.organisation,
        actor=run.confirmed_by,
        target=run,
        ok=not error,
        tables=len(run.tables),
        changed=sum(t["changed"] for t in run.tables),
    )
    return run
