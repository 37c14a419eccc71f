"""The dashboard the admin opens on: panels contributed by each app's dashboard.py.

    @panel(order=10)
    def register_completeness(request, organisations):
        return Panel(title=..., template="register/dashboard_completeness.html", context={...})

A panel function gets the request and the organisations the user may see (a queryset, read once
for the whole dashboard: iterate it, or take ``organisation_ids(request, organisations, perm)``,
rather than filtering it again) and returns a Panel, or None to stay hidden (e.g. for a role that
may not see it).

Panels run set-based queries whatever the size of the inventory. A figure that is only a number of
rows is best left as ``count(queryset)`` in the panel's context: once every panel has run, the
dashboard counts all of them in one SQL statement (one scalar subquery each) and puts the numbers
in their place, so a panel's gaps and counters cost no round trip of their own.
"""

from dataclasses import dataclass, field

from django.db import connections
from django.utils.module_loading import autodiscover_modules

from dpo_portal.register.roles import organisation_ids_for

_PANELS = []


@dataclass
class Panel:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


def panel(order=100):
    def register(func):
        _PANELS.append((order, func))
        _PANELS.sort(key=lambda item: item[0])
        return func

    return register


class Counted:
    """The number of rows of ``queryset``, counted with the other panels' (see ``count``)."""

    __slots__ = ("queryset",)

    def __init__(self, queryset):
        self.queryset = queryset


def count(queryset):
    """A placeholder for ``queryset.count()`` in a panel's context, replaced by the number."""
    return Counted(queryset)


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
    _count_together(result)
    return result


def _placeholders(value, found):
    if isinstance(value, Counted):
        found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _placeholders(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _placeholders(item, found)


def _replaced(value, numbers):
    if isinstance(value, Counted):
        return numbers[id(value)]
    if isinstance(value, dict):
        return {key: _replaced(item, numbers) for key, item in value.items()}
    if isinstance(value, list):
        return [_replaced(item, numbers) for item in value]
    if isinstance(value, tuple):
        return tuple(_replaced(item, numbers) for item in value)
    return value


def _count_together(panels):
    """Every panel's ``count()`` placeholders, counted in one statement per database."""
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
        parts, params = [], []
        for n, placeholder in enumerate(placeholders):
            sql, sql_params = placeholder.queryset.order_by().values("pk").query.sql_with_params()
            parts.append(f"(SELECT COUNT(*) FROM ({sql}) counted_{n})")
            params.extend(sql_params)
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            row = cursor.fetchone()
        numbers.update({id(p): value for p, value in zip(placeholders, row, strict=True)})
    for item in panels:
        item.context = _replaced(item.context, numbers)
