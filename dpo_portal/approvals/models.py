"""Four eyes on irreversible steps: the first approval of a step that a second person must
confirm (dpo_portal/approvals/services.py)."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dpo_portal.register.models import OrganisationOwned


class SecondApproval(OrganisationOwned):
    """One irreversible step (``action``, e.g. "retention.approve_batch") on one object, approved
    by a first person and, once confirmed, by a second. Kept after confirmation: the pair of
    names and times is the evidence."""

    action = models.CharField(_("step"), max_length=80)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("object type")
    )
    target_id = models.CharField(_("object id"), max_length=64)
    first_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("first approved by"),
    )
    first_role = models.CharField(_("role"), max_length=60, blank=True)
    first_at = models.DateTimeField(_("first approved at"))
    second_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    second_role = models.CharField(_("role"), max_length=60, blank=True)
    second_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("second approval")
        verbose_name_plural = _("second approvals")
        constraints = [
            # One open approval per step and object: two first approvals cannot race.
            models.UniqueConstraint(
                fields=["action", "target_type", "target_id"],
                condition=Q(second_at__isnull=True),
                name="one_open_second_approval",
            ),
            models.CheckConstraint(
                condition=~Q(second_by=models.F("first_by")),
                name="second_approver_is_another_person",
            ),
        ]
        indexes = [
            models.Index(fields=["action", "target_type", "target_id"], name="approval_target")
        ]

    def __str__(self):
        return f"{self.action} #{self.target_id}"

    @property
    def confirmed(self):
        return self.second_at is not None
