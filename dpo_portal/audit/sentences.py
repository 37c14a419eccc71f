"""Audit events as sentences a regulator can read, in the reader's language.

Each app describes its own event codes in an ``audit_events.py`` module:

    EVENTS = {
        "requests.deadline_extended": Sentence(
            _("Deadline extended"),
            _("%(actor)s extended %(target)s (%(kind)s); new due date %(due_on)s"),
            kind=choice(DeadlineEvent.Kind), due_on=as_date,
        ),
    }

``label`` names the action (filters, export); ``text`` is the sentence, with ``%(actor)s`` (the
actor's full name, or "The portal" for a scheduled job), ``%(target)s`` (the object) and any key
of the event's details, shown through the formatter given for it. A key the event lacks reads
"—" rather than failing: old events keep their sentence when a template grows.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps
from django.utils import formats
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MISSING = "—"


@dataclass(frozen=True)
class Sentence:
    label: str
    text: str
    formatters: dict = field(default_factory=dict)

    def __init__(self, label, text, **formatters):
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "formatters", formatters)


# --- formatters ------------------------------------------------------------------------------


def as_date(value):
    """An ISO date (or datetime) as "5 November 2026" in the reader's language."""
    if not value:
        return MISSING
    try:
        day = datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return formats.date_format(day, "j E Y")


def choice(choices):
    """A stored code shown by its label (choices: a TextChoices class or a {code: label})."""
    labels = dict(choices.choices) if hasattr(choices, "choices") else dict(choices)

    def format_choice(value):
        return str(labels.get(value, value)) if value not in (None, "") else MISSING

    return format_choice


def yes_no(value):
    return _("yes") if value else _("no")


# --- the registry ----------------------------------------------------------------------------

_EVENTS = {}
_discovered = False


def discover():
    global _discovered
    if _discovered:
        return
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "audit_events"):
            module = import_module(f"{config.name}.audit_events")
            _EVENTS.update(getattr(module, "EVENTS", {}))
    _discovered = True


def sentence_for(action):
    discover()
    return _EVENTS.get(action)


def action_choices():
    """(code, label) of every known action, sorted by label in the reader's language."""
    discover()
    return sorted(((code, str(s.label)) for code, s in _EVENTS.items()), key=lambda c: c[1])


def action_label(action):
    found = sentence_for(action)
    return str(found.label) if found else action


UNKNOWN = gettext_lazy("%(actor)s: %(action)s on %(target)s")


def describe(event, *, actor, target):
    """The event's sentence. ``actor`` and ``target`` are the display names to use."""
    found = sentence_for(event.action)
    values = defaultdict(lambda: MISSING)
    details = event.details if isinstance(event.details, dict) else {}
    for key, value in details.items():
        formatter = found.formatters.get(key) if found else None
        if formatter is not None:
            values[key] = formatter(value)
        elif value is None or value == "":
            values[key] = MISSING
        elif isinstance(value, list):
            values[key] = ", ".join(str(item) for item in value)
        else:
            values[key] = formats.localize(value) if isinstance(value, int) else value
    values.update(actor=actor, target=target, action=event.action)
    return str(found.text if found else UNKNOWN) % values
