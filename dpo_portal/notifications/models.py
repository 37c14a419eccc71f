"""Reminders and digests that must go out once per period, never twice.

A unique row per (kind, organisation, user, period) is claimed in the same transaction that
sends the mail: a second run of the job in the same period, on any worker, finds the row taken
and sends nothing; a failed send rolls the claim back so the next run tries again.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

from dpo_portal.register.models import Organisation


class SentNotification(models.Model):
    kind = models.CharField(_("kind"), max_length=80)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    period = models.CharField(
        _("period"), max_length=20, help_text=_("e.g. 2026-11-22 for a day, 2026-W47 for a week")
    )
    item_count = models.PositiveIntegerField(_("items"), default=0)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sent notification")
        verbose_name_plural = _("sent notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "organisation", "user", "period"], name="notification_once"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.period}"


def send_once(*, kind, organisation, user, period, subject, mail, item_count=0):
    """Mail ``user`` unless this kind already went to them for this organisation and period.
    ``mail`` comes from notifications.mail.render_mail. Returns True when a mail was sent."""
    if not user.email:
        return False
    try:
        with transaction.atomic():
            SentNotification.objects.create(
                kind=kind,
                organisation=organisation,
                user=user,
                period=period,
                item_count=item_count,
            )
            send_mail(subject, mail.text, None, [user.email], html_message=mail.html)
    except IntegrityError:
        return False
    return True
