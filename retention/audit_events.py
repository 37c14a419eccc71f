"""Retention's audit events as sentences (dpo_portal/audit/sentences.py)."""

from django.utils.translation import gettext_lazy as _

from dpo_portal.audit.sentences import Sentence, as_date, choice

from .models import DONE_LABELS, LegalHold

HOLD_TARGETS = {
    name: LegalHold._meta.get_field(name).verbose_name for name in LegalHold.TARGET_FIELDS
}
EXCLUSION_KINDS = {"extension": _("kept until a date"), "hold": _("kept under a hold")}
DISPOSAL_REASONS = {
    "request": _("on a request"),
    "disposal": _("by a disposal batch"),
    "no_longer_held": _("as no longer held by their system"),
    "source_gone": _("as gone from their connected system's database"),
}

EVENTS = {
    "retention.records_import_refused": Sentence(
        _("Record import refused"),
        _("%(actor)s's import of %(rows)s records was refused: %(bad_rows)s rows have errors"),
    ),
    "retention.records_imported": Sentence(
        _("Records imported"), _("%(actor)s imported or updated %(rows)s records")
    ),
    "retention.connector_synced": Sentence(
        _("Inventory synced from a connected system"),
        _(
            "The inventory of %(target)s was synced from its database: %(new)s records new, "
            "%(changed)s changed, %(unchanged)s unchanged, %(disposed)s disposed; "
            "%(refused)s rows refused; people unknown to the register: %(unknown_reported)s "
            "reported, %(unknown_created)s created; %(erased_refused)s erased people refused"
        ),
    ),
    "retention.expiry_recomputed": Sentence(
        _("Expiry recomputed"),
        _("%(actor)s recomputed the expiry of %(records)s records after a rule change"),
    ),
    "retention.hold_placed": Sentence(
        _("Legal hold placed"),
        _("%(actor)s placed %(target)s on a %(on)s (#%(target_id)s), until %(until)s"),
        on=choice(HOLD_TARGETS),
        until=as_date,
    ),
    "retention.hold_released": Sentence(
        _("Legal hold released"),
        _("%(actor)s released %(target)s; %(records_freed)s records returned to the schedule"),
    ),
    "retention.records_disposed": Sentence(
        _("Records disposed"),
        _(
            "%(actor)s disposed of %(disposed)s records %(reason)s (%(end_action)s); "
            "%(refused_on_hold)s refused under a hold"
        ),
        end_action=choice(DONE_LABELS),
        reason=choice(DISPOSAL_REASONS),
    ),
    "retention.batch_approved": Sentence(
        _("Disposal approved"),
        _(
            "%(actor)s approved %(target)s: %(disposed)s records %(end_action)s, "
            "%(kept_on_hold)s kept under a hold; certificate %(certificate)s"
        ),
        end_action=choice(DONE_LABELS),
    ),
    "retention.batch_sent_to_source": Sentence(
        _("Disposal approved, sent to its system"),
        _(
            "%(actor)s approved %(target)s: its %(records)s records are disposed of once the "
            "run in the system's database (#%(run_id)s) has succeeded"
        ),
    ),
    "retention.batch_extended": Sentence(
        _("Disposal postponed"),
        _("%(actor)s postponed %(target)s until %(until)s"),
        until=as_date,
    ),
    "retention.batch_rejected": Sentence(
        _("Disposal rejected"),
        _("%(actor)s rejected %(target)s: its %(records)s records are kept"),
    ),
    "retention.records_excluded": Sentence(
        _("Records excluded from a batch"),
        _(
            "%(actor)s excluded %(records)s records (%(record_ids)s) from %(target)s, "
            "%(kind)s %(until)s"
        ),
        kind=choice(EXCLUSION_KINDS),
        until=as_date,
    ),
    "retention.sweep_finished": Sentence(
        _("Retention sweep"),
        _(
            "The retention sweep of %(day)s found %(due)s records due and %(on_hold)s under a "
            "hold; %(pending_batches)s batches await a decision"
        ),
        day=as_date,
    ),
    "retention.consent_evidence_scrubbed": Sentence(
        _("Old consent evidence scrubbed"),
        _(
            "%(actor)s scrubbed the evidence of %(consents)s consents withdrawn more than "
            "%(older_than_days)s days ago"
        ),
    ),
}
