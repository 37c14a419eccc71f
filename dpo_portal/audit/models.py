"""Audit events: one row per use case carried out (an erasure, a disposal, a consent withdrawal).

Events name what happened and to which object by id; they never carry personal data, so they
outlive the erasure of the person they concern.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dpo_portal.register.models import Organisation, OrganisationQuerySet

from . import chain


class AuditEvent(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    # PROTECT: the actor's id is part of the event's hash; a user who leaves is deactivated.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty when a scheduled job acted."),
    )
    action = models.CharField(_("action"), max_length=80, db_index=True)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("object type")
    )
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("at"), default=timezone.now, editable=False, db_index=True)
    # The organisation's hash chain (dpo_portal/audit/chain.py).
    sequence = models.PositiveBigIntegerField(_("no. in the chain"), editable=False)
    previous_hash = models.CharField(_("hash of the previous event"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64, editable=False)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "sequence"], name="audit_event_one_per_chain_link"
            )
        ]

    def __str__(self):
        return f"{self.action} #{self.target_id}"

    @classmethod
    def record(cls, action, *, organisation, actor=None, target=None, **details):
        """Write one event. ``details`` must hold counts, ids, codes and dates, never a name,
        FIN, phone, e-mail or free text typed about a person.

        The event is appended to the organisation's chain under a lock on its chain head, in the
        caller's transaction: a use case that rolls back takes its event (and link) with it."""
        target_type = ContentType.objects.get_for_model(target) if target is not None else None
        # No savepoint: a failure here fails the caller's use case anyway (its transaction rolls
        # back with the event), and two round trips per event were a tenth of a disposal's.
        with transaction.atomic(savepoint=False):
            head = AuditChainHead.locked(organisation.pk)
            event = cls(
                organisation=organisation,
                actor=actor if actor is not None and actor.is_authenticated else None,
                action=action,
                target_type=target_type,
                target_id=str(target.pk) if target is not None else "",
                details=chain.normalised(details),
                created_at=timezone.now(),
                sequence=head.last_sequence + 1,
                previous_hash=head.last_hash,
            )
            event.hash = chain.link_hash(event.previous_hash, event.canonical())
            event.save(force_insert=True)
            head.last_sequence, head.last_hash = event.sequence, event.hash
            head.save(update_fields=["last_sequence", "last_hash"])
        return event

    def canonical(self):
        return chain.canonical(
            organisation_id=self.organisation_id,
            sequence=self.sequence,
            actor_id=self.actor_id,
            action=self.action,
            target=f"{self.target_type.app_label}.{self.target_type.model}"
            if self.target_type_id
            else "",
            target_id=self.target_id,
            details=self.details,
            at=self.created_at,
        )


class AuditChainHead(models.Model):
    """The end of one organisation's chain, and the last check's result. Locked (SELECT … FOR
    UPDATE) while an event is appended, so concurrent writers take turns and no two events
    claim the same link."""

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    last_sequence = models.PositiveBigIntegerField(_("last no."), default=0)
    last_hash = models.CharField(_("last hash"), max_length=64, blank=True)
    checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)
    checked_events = models.PositiveBigIntegerField(_("events checked"), default=0)
    broken_sequence = models.PositiveBigIntegerField(_("first broken link"), null=True, blank=True)
    broken_event_id = models.PositiveBigIntegerField(_("broken event id"), null=True, blank=True)
    # A code of chain.REASONS: the sentence is shown in the reader's language.
    broken_reason = models.CharField(_("what is wrong"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("audit chain")
        verbose_name_plural = _("audit chains")

    def __str__(self):
        return f"{self.organisation_id}: {self.last_sequence}"

    @classmethod
    def locked(cls, organisation_id):
        # One locking read once the head exists (every event but an organisation's first).
        head = cls.objects.select_for_update().filter(organisation_id=organisation_id).first()
        if head is None:
            cls.objects.get_or_create(organisation_id=organisation_id)
            head = cls.objects.select_for_update().get(organisation_id=organisation_id)
        return head

    @property
    def broken(self):
        if self.broken_sequence is None:
            return None
        return chain.Break(self.broken_sequence, self.broken_event_id, self.broken_reason)

    @classmethod
    def store_check(cls, check):
        """Keep a check's result for the dashboard. Only the check's own columns are written:
        an event appended meanwhile keeps its head."""
        broken = check.broken
        cls.objects.get_or_create(organisation_id=check.organisation_id)
        cls.objects.filter(pk=check.organisation_id).update(
            checked_at=timezone.now(),
            checked_events=check.events,
            broken_sequence=broken.sequence if broken else None,
            broken_event_id=broken.event_id if broken else None,
            broken_reason=broken.reason if broken else "",
        )
