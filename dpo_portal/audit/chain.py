"""The hash chain of each organisation's audit events: tamper evidence a regulator can check.

Every event stores its place in its organisation's chain (``sequence``, 1, 2, 3 … without gaps),
the hash of the event before it and the SHA-256 of its own canonical content together with that
previous hash. Changing an event breaks its own hash; deleting one leaves a gap in the sequence
and a previous hash that points nowhere; inserting one breaks the link after it, or lies beyond
the chain head (one row per organisation holding the last sequence and hash, and locked while an
event is appended, so concurrent writers of one organisation take turns).

Plain SHA-256 on purpose: anyone holding an export can recompute the chain without a key. The
chain head anchors the end; a DPO who writes the head hash down (the dashboard and
``verify_audit_chain`` show it) can later prove that nothing was rewritten wholesale either.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy as _

GENESIS = ""


def normalised(details):
    """The details as the database gives them back (dates as ISO strings, tuples as lists), so
    the hash computed before saving matches the one recomputed from the row."""
    return json.loads(json.dumps(details, cls=DjangoJSONEncoder))


def canonical(*, organisation_id, sequence, actor_id, action, target, target_id, details, at):
    """One event as text: sorted keys, no spaces, UTC time with microseconds. ``target`` is the
    object type as "app_label.model" (content type ids differ between databases)."""
    return json.dumps(
        {
            "organisation": organisation_id,
            "sequence": sequence,
            "actor": actor_id,
            "action": action,
            "target": target or "",
            "target_id": target_id or "",
            "details": details,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        cls=DjangoJSONEncoder,
    )


def link_hash(previous_hash, content):
    return hashlib.sha256(f"{previous_hash}\n{content}".encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    sequence: int
    event_id: int | None
    reason: str

    def describe(self):
        return REASONS[self.reason] % {"sequence": self.sequence, "event": self.event_id}


REASONS = {
    "altered": _(
        "Event no. %(sequence)s (id %(event)s) was changed after it was written: its content no "
        "longer matches its hash."
    ),
    "missing": _("Event no. %(sequence)s is missing: it was deleted."),
    "relinked": _(
        "Event no. %(sequence)s (id %(event)s) does not follow the event before it: an event was "
        "inserted or removed here."
    ),
    "beyond_head": _(
        "Event no. %(sequence)s (id %(event)s) lies beyond the end of the chain: it was not "
        "written by the portal."
    ),
    "missing_at_end": _("The last events of the chain, from no. %(sequence)s, are missing."),
}


@dataclass(frozen=True)
class ChainCheck:
    organisation_id: int
    events: int
    head_hash: str
    broken: Break | None

    @property
    def intact(self):
        return self.broken is None


def verify(organisation_id):
    """Walk one organisation's chain in order and return the first broken link, if any. Streams
    the rows (no model instances), so a long chain costs time, not memory."""
    from django.contrib.contenttypes.models import ContentType

    from .models import AuditChainHead, AuditEvent

    head = AuditChainHead.objects.filter(organisation_id=organisation_id).first()
    head_sequence = head.last_sequence if head else 0
    head_hash = head.last_hash if head else GENESIS
    labels = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}
    rows = (
        AuditEvent.objects.filter(organisation_id=organisation_id)
        .order_by("sequence")
        .values_list(
            "pk",
            "sequence",
            "actor_id",
            "action",
            "target_type_id",
            "target_id",
            "details",
            "created_at",
            "previous_hash",
            "hash",
        )
    )
    expected, previous, count = 1, GENESIS, 0

    def result(broken):
        return ChainCheck(organisation_id, count, head_hash, broken)

    for pk, sequence, actor_id, action, type_id, target_id, details, at, prev, own in rows.iterator(
        chunk_size=2000
    ):
        count += 1
        if sequence > head_sequence:
            return result(Break(sequence, pk, "beyond_head"))
        if sequence != expected:
            return result(Break(expected, None, "missing"))
        if prev != previous:
            return result(Break(sequence, pk, "relinked"))
        content = canonical(
            organisation_id=organisation_id,
            sequence=sequence,
            actor_id=actor_id,
            action=action,
            target=labels.get(type_id),
            target_id=target_id,
            details=details,
            at=at,
        )
        if link_hash(prev, content) != own:
            return result(Break(sequence, pk, "altered"))
        previous, expected = own, expected + 1
    if expected <= head_sequence or previous != head_hash:
        return result(Break(expected, None, "missing_at_end"))
    return result(None)


def verify_and_store(organisation_id):
    """verify(), and keep its result on the chain head for the dashboard."""
    from .models import AuditChainHead

    check = verify(organisation_id)
    AuditChainHead.store_check(check)
    return check
