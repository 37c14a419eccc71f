"""Audit events: one row per use case carried out (an erasure, a disposal, a consent withdrawal).

Events name what happened and to which object by id; they never carry personal data, so they
outlive the erasure of the person they concern.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from dpo_portal.register.models import Organisation, OrganisationQuerySet


class AuditEvent(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty when a scheduled job acted."),
    )
    action = models.CharField(_("action"), max_length=80, db_index=True)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("object type")
    )
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self):
        return f"{self.action} #{self.target_id}"

    @classmethod
    def record(cls, action, *, organisation, actor=None, target=None, **details):
        """Write one event. ``details`` must hold counts, ids, codes and dates, never a name,
        FIN, phone, e-mail or free text typed about a person."""
        return cls.objects.create(
            organisation=organisation,
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=action,
            target_type=ContentType.objects.get_for_model(target) if target is not None else None,
            target_id=str(target.pk) if target is not None else "",
            details=details,
        )
