"""Changes of the legal rules that move deadlines already running.

The legal app knows no request: the apps whose data follows the rules say what a change would
move and recompute it, through a handler in their `legal_impact.py` (found like dashboard panels):

    @impact_handler
    class RequestDeadlines:
        def preview(self, change, user): ...   # rows the confirmation page lists
        def apply(self, change, actor): ...    # start the background recompute

A change is a regime version about to be saved (or deleted), or a calendar decision saved or
deleted (the calendar is then already what the stamp in calendar.py says).
"""

from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules

_HANDLERS = []
_discovered = False


@dataclass
class RuleChange:
    regime_code: str = ""  # a version of this regime changes
    version: object = None  # the RegimeVersion as it would be saved (unsaved edits)
    removed: bool = False  # the version is deleted
    country: str = ""  # the calendar of this country changed
    notes: dict = field(default_factory=dict)


def impact_handler(cls):
    _HANDLERS.append(cls())
    return cls


def _handlers():
    global _discovered
    if not _discovered:
        autodiscover_modules("legal_impact")
        _discovered = True
    return _HANDLERS


def preview(change, user):
    """What the change would move, as rows for the confirmation page."""
    rows = []
    for handler in _handlers():
        rows.extend(handler.preview(change, user))
    return rows


def apply(change, actor):
    """Recompute what the change moved (in the background); returns how many jobs started."""
    return sum(handler.apply(change, actor) or 0 for handler in _handlers())
