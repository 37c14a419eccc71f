"""The dashboard the admin opens on: panels contributed by each app's dashboard.py.

    @panel(order=10)
    def register_completeness(request, organisations):
        return Panel(title=..., template="register/dashboard_completeness.html", context={...})

A panel function gets the request and the organisations the user may see (a queryset) and returns
a Panel, or None to stay hidden (e.g. for a role that may not see it). Panels run set-based
queries: a few aggregate queries each, whatever the size of the inventory.
"""

from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules

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


_discovered = False


def panels_for(request, organisations):
    global _discovered
    if not _discovered:
        autodiscover_modules("dashboard")
        _discovered = True
    result = []
    for order, func in _PANELS:
        item = func(request, organisations)
        if item is not None:
            item.order = order
            result.append(item)
    return result
