"""Sentences of the events the shared mechanisms write (dpo_portal/deletion.py)."""

from django.utils.translation import gettext_lazy as _

from .sentences import Sentence

EVENTS = {
    "audit.entry_deleted": Sentence(
        _("Unused entry deleted"),
        _("%(actor)s deleted “%(name)s” (%(code)s), used nowhere, from the register (%(model)s)"),
    ),
}
