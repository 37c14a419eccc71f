"""Several small, independent row sets in one statement: a page's sections (a request's letters,
attachments, messages…) each cost a round trip and a query of the page's budget, though each is
a handful of rows on an index.

``read_together(letters=qs1, attachments=qs2)`` sends one ``SELECT`` of one ``json_agg``
subquery per queryset, each being the queryset's own SQL (its filters, joins, ordering, slice),
and gives back model instances (or, for a ``values()`` queryset, its dicts) as iterating each
queryset would: the same columns (deferred
fields stay deferred), ``select_related`` objects, annotations, and the related manager's own
object (``obj.letters``' letters know ``obj``). The values arrive as JSON and are turned back
into Python by each field's ``to_python``. A ``prefetch_related`` of a reverse foreign key by its
name (a task's ``receipts``, a message's ``attachments``) is read in the same statement, as the
rows pointing into the queryset's own SQL; any other lookup runs afterwards, as usual (one query
per lookup, and none for an empty row set).

Binary and decimal columns do not survive JSON (bytea as hex text, numeric as a float): defer
them, or read such a queryset on its own. On a database other than PostgreSQL each queryset is
simply read in turn.
"""

import json

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connections, models
from django.db.models.constants import LOOKUP_SEP
from django.db.models.query import (
    ModelIterable,
    ValuesIterable,
    get_related_populators,
    prefetch_related_objects,
)

_NOT_IN_JSON = (models.BinaryField, models.DecimalField)


def read_together(**querysets):
    """{name: list of the queryset's model instances (or dicts, for a ``values()`` queryset)}.
    A value that is not a queryset (a list the caller already has) comes back as it is."""
    read = {
        name: value
        for name, value in querysets.items()
        if not isinstance(value, models.QuerySet) or value._result_cache is not None
    }
    pending = {name: qs for name, qs in querysets.items() if name not in read}
    databases = {queryset.db for queryset in pending.values()}
    if len(databases) > 1 or (pending and not in_one_statement(databases.pop())):
        read.update((name, list(queryset)) for name, queryset in pending.items())
        pending = {}

    readers, subqueries, params = [], [], []

    def add(queryset):
        sql, sql_params, decode = json_subquery(queryset)
        subqueries.append(sql)
        params.extend(sql_params)
        return decode

    for name, queryset in pending.items():
        inline = _reverse_foreign_keys(queryset)
        if inline:
            rest = [lookup for lookup in queryset._prefetch_related_lookups if lookup not in inline]
            queryset = queryset.prefetch_related(None).prefetch_related(*rest)
        try:
            decode = add(queryset)
        except EmptyResultSet:
            read[name] = []
            continue
        children = [
            (relation, add(_rows_pointing_into(queryset, relation))) for relation in inline.values()
        ]
        readers.append((name, decode, children))
    if subqueries:
        with connections[pending[readers[0][0]].db].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(subqueries), params)
            row_sets = iter(cursor.fetchone())
        for name, decode, children in readers:
            read[name] = decode(next(row_sets))
            for relation, decode_child in children:
                _attach(read[name], relation, decode_child(next(row_sets)))
    return {
        name: list(read[name]) if isinstance(read[name], models.QuerySet) else read[name]
        for name in querysets
    }


def _reverse_foreign_keys(queryset):
    """{lookup: the reverse foreign key} of the queryset's prefetches that name one directly."""
    relations = {}
    for lookup in queryset._prefetch_related_lookups:
        if not isinstance(lookup, str) or LOOKUP_SEP in lookup:
            continue
        try:
            relation = queryset.model._meta.get_field(lookup)
        except FieldDoesNotExist:
            continue  # a property or a generic relation: prefetch_related_objects knows it
        # Exactly a reverse foreign key (not a one-to-one), named by its accessor.
        if type(relation) is models.ManyToOneRel and relation.get_accessor_name() == lookup:
            relations[lookup] = relation
    return relations


def _rows_pointing_into(queryset, relation):
    # The related manager's queryset (its model's default manager and ordering), for every row
    # the parent queryset gives: its own SQL as the subquery, slice included.
    parents = (
        queryset.values("pk") if queryset.query.is_sliced else queryset.order_by().values("pk")
    )
    return relation.related_model._default_manager.filter(**{f"{relation.field.name}__in": parents})


def _attach(instances, relation, children):
    """What prefetch_related leaves on each instance: its manager's rows, each child knowing it."""
    by_parent = {}
    for child in children:
        by_parent.setdefault(getattr(child, relation.field.attname), []).append(child)
    accessor, cache_name = relation.get_accessor_name(), relation.cache_name
    for instance in instances:
        rows = by_parent.get(instance.pk, [])
        for child in rows:
            relation.field.set_cached_value(child, instance)
        manager_rows = getattr(instance, accessor).get_queryset()
        manager_rows._result_cache, manager_rows._prefetch_done = rows, True
        instance.__dict__.setdefault("_prefetched_objects_cache", {})[cache_name] = manager_rows


def in_one_statement(alias):
    """Whether the database at ``alias`` reads row sets as JSON subqueries (PostgreSQL)."""
    return connections[alias].vendor == "postgresql"


def json_subquery(queryset):
    """(SQL of a scalar subquery giving the queryset's rows as one JSON array, its params, a
    function turning that array back into what iterating the queryset gives). Raises
    EmptyResultSet for a queryset that can have no rows; PostgreSQL only."""
    if queryset._iterable_class not in (ModelIterable, ValuesIterable):
        raise TypeError("read_together reads model instances or values() rows")
    compiler = queryset.query.get_compiler(using=queryset.db)
    # Aliased columns: a join's "id" and the model's own are told apart by position.
    sql, params = compiler.as_sql(with_col_aliases=True)
    for expression, _sql, alias in compiler.select:
        if isinstance(expression.output_field, _NOT_IN_JSON):
            raise TypeError(f"defer {alias or expression}: it does not survive JSON")
    fields = [expression.output_field for expression, _sql, _alias in compiler.select]

    def decode(rows):
        if isinstance(rows, str):
            rows = json.loads(rows)
        rows = [
            [
                None if value is None else field.to_python(value)
                for field, value in zip(fields, row.values(), strict=False)
            ]
            for row in rows or []
        ]
        if queryset._iterable_class is ValuesIterable:
            query = queryset.query
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
            return [dict(zip(names, row, strict=False)) for row in rows]
        return _instances(queryset, compiler, rows)

    # json_agg takes the rows in the order the subquery gives them (its ORDER BY).
    return f"(SELECT coalesce(json_agg(r), '[]') FROM ({sql}) AS r)", params, decode


def _instances(queryset, compiler, rows):
    # What ModelIterable does with the rows of a cursor.
    db, select, klass_info = queryset.db, compiler.select, compiler.klass_info
    model_fields = select[klass_info["select_fields"][0] : klass_info["select_fields"][-1] + 1]
    start = klass_info["select_fields"][0]
    init_list = [column[0].target.attname for column in model_fields]
    related_populators = get_related_populators(klass_info, select, db)
    known = [
        (field, objects)
        for field, objects in queryset._known_related_objects.items()
        if field.from_fields == ["self"]
    ]
    instances = []
    for row in rows:
        instance = klass_info["model"].from_db(db, init_list, row[start : start + len(init_list)])
        for populator in related_populators:
            populator.populate(row, instance)
        for name, position in compiler.annotation_col_map.items():
            setattr(instance, name, row[position])
        for field, objects in known:
            if not field.is_cached(instance) and getattr(instance, field.attname) in objects:
                setattr(instance, field.name, objects[getattr(instance, field.attname)])
        instances.append(instance)
    if queryset._prefetch_related_lookups:
        prefetch_related_objects(instances, *queryset._prefetch_related_lookups)
    return instances
