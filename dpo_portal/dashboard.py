"""The dashboard the admin opens on: panels contributed by each app's dashboard.py.

    @panel(order=10)
    def register_completeness(request, organisations):
        return Panel(title=..., template="register/dashboard_completeness.html", context={...})

A panel function gets the request and the organisations the user may see (a queryset, read once
for the whole dashboard: iterate it, or take ``organisation_ids(request, organisations, perm)``,
rather than filtering it again) and returns a Panel, or None to stay hidden (e.g. for a role that
may not see it).

Panels run set-based queries whatever the size of the inventory, and most need no round trip of
their own: what a panel reads is best left in its context as a placeholder,

- ``count(queryset)``: the number of rows;
- ``count_each(queryset, name=Q(...), ...)``: {name: the number of rows meeting each condition},
  each counted on its own (an index on the condition's columns serves it);
- ``rows(queryset, then=...)``: the rows as iterating the queryset gives them (model instances,
  or a ``values()`` queryset's dicts), then passed to ``then`` if given;

and once every panel has run, the dashboard reads all the placeholders in one SQL statement per
database (a subquery each; the rows as JSON, see ``read_together``, on PostgreSQL, and each row
set apart elsewhere) and puts the results in their place. A panel needs a query of its own
only for what depends on something read first.
"""

import json
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.utils.module_loading import autodiscover_modules

from dpo_portal.read_together import in_one_statement, json_subquery
from dpo_portal.register.roles import organisation_ids_for

_PANELS = []


@dataclass
class Panel:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100
    # The context key whose value, once read, must not be empty for the panel to be shown.
    hidden_unless: str | None = None


def panel(order=100):
    def register(func):
        _PANELS.append((order, func))
        _PANELS.sort(key=lambda item: item[0])
        return func

    return register


class Deferred:
    """A value a panel reads with the other panels' in one statement (see the module's doc).
    Each kind gives ``subquery(connection)``: (SQL of a scalar subquery, its params, the function
    turning the subquery's value into the placeholder's), or None to be read on its own."""

    __slots__ = ("queryset", "then")

    def __init__(self, queryset, then=None):
        self.queryset = queryset
        self.then = then

    def value(self, read):
        return self.then(read) if self.then else read


class Counted(Deferred):
    def subquery(self, connection):
        sql, params = self.queryset.order_by().values("pk").query.sql_with_params()
        return f"(SELECT COUNT(*) FROM ({sql}) counted)", params, int


class CountedEach(Deferred):
    __slots__ = ("conditions",)

    def __init__(self, queryset, conditions, then):
        super().__init__(queryset, then)
        self.conditions = conditions

    def subquery(self, connection):
        # A COUNT of its own per condition, in one JSON array: an index on the condition's
        # columns counts each range (the urgencies on status and due date: 20 ms for 80,000
        # open requests), where one pass summing a CASE per row scanned the table (80 ms, both
        # cores).
        counts_sql, params = [], []
        for condition in self.conditions.values():
            try:
                sql, sql_params, _int = Counted(self.queryset.filter(condition)).subquery(
                    connection
                )
            except EmptyResultSet:
                sql, sql_params = "0", []
            counts_sql.append(sql)
            params.extend(sql_params)
        array = "json_build_array" if connection.vendor == "postgresql" else "json_array"

        def counts(raw):
            # PostgreSQL's driver decodes json itself; SQLite's JSON functions return text.
            numbers = json.loads(raw) if isinstance(raw, str) else raw
            return dict(zip(self.conditions, numbers, strict=True))

        return f"{array}({', '.join(counts_sql)})", params, counts


class Rows(Deferred):
    def subquery(self, connection):
        if not in_one_statement(connection.alias):
            return None
        try:
            sql, params, decode = json_subquery(self.queryset)
        except EmptyResultSet:
            return "NULL", [], lambda _raw: []
        return sql, params, lambda raw: decode(raw or [])


def count(queryset):
    """A placeholder for ``queryset.count()`` in a panel's context, replaced by the number."""
    return Counted(queryset)


def count_each(queryset, then=None, **conditions):
    """A placeholder for {name: the number of rows of ``queryset`` meeting the condition}, or
    for ``then`` of it."""
    return CountedEach(queryset, conditions, then)


def rows(queryset, then=None):
    """A placeholder for ``list(queryset)`` (model instances, or a ``values()`` queryset's dicts:
    see ``read_together``), replaced by the rows; ``then(rows)``, if given, makes the value put
    in the context."""
    return Rows(queryset, then)


def organisation_ids(request, organisations, perm=None):
    """Ids of the dashboard's organisations (no query: the dashboard read them) in which the
    user's role grants ``perm`` (all of them for a superuser, or when ``perm`` is None)."""
    ids = [organisation.pk for organisation in organisations]
    if perm is None or request.user.is_superuser:
        return ids
    allowed = organisation_ids_for(request.user, perm)
    return [pk for pk in ids if pk in allowed]


_discovered = False


def panels_for(request, organisations):
    global _discovered
    if not _discovered:
        autodiscover_modules("dashboard")
        _discovered = True
    # Read once here (the caller's queryset keeps the rows): every panel iterates the same ones.
    len(organisations)
    result = []
    for order, func in _PANELS:
        item = func(request, organisations)
        if item is not None:
            item.order = order
            result.append(item)
    _read_placeholders(result)
    return [item for item in result if not item.hidden_unless or item.context[item.hidden_unless]]


def _placeholders(value, found):
    if isinstance(value, Deferred):
        found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _placeholders(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _placeholders(item, found)


def _replaced(value, numbers):
    if isinstance(value, Deferred):
        return numbers[id(value)]
    if isinstance(value, dict):
        return {key: _replaced(item, numbers) for key, item in value.items()}
    if isinstance(value, list):
        return [_replaced(item, numbers) for item in value]
    if isinstance(value, tuple):
        return tuple(_replaced(item, numbers) for item in value)
    return value


def _read_placeholders(panels):
    """Every panel's placeholders, read in one statement per database."""
    found = []
    for item in panels:
        _placeholders(item.context, found)
    if not found:
        return
    by_database = {}
    for placeholder in found:
        by_database.setdefault(placeholder.queryset.db, []).append(placeholder)
    numbers = {}
    for alias, placeholders in by_database.items():
        connection = connections[alias]
        together, parts, params = [], [], []
        for placeholder in placeholders:
            subquery = placeholder.subquery(connection)
            if subquery is None:  # rows this database does not give as JSON: read apart
                numbers[id(placeholder)] = placeholder.value(list(placeholder.queryset))
                continue
            sql, sql_params, decode = subquery
            together.append((placeholder, decode))
            parts.append(sql)
            params.extend(sql_params)
        if not parts:
            continue
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            row = cursor.fetchone()
        numbers.update(
            {id(p): p.value(decode(raw)) for (p, decode), raw in zip(together, row, strict=True)}
        )
    for item in panels:
        item.context = _replaced(item.context, numbers)
