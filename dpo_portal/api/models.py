"""The integration API's own rows: per-system tokens, idempotency keys, webhook endpoints and
their deliveries.

A token belongs to one system of one organisation and acts only for them. Its secret is shown
once, when it is created; the portal keeps its SHA-256 and an 8-character prefix (to find it and
to show it masked), never the secret itself.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dpo_portal.register.models import OrganisationOwned, System


class Scope(models.TextChoices):
    PUSH_INVENTORY = "inventory", _("Push the record inventory")
    TAKE_REQUESTS = "requests", _("Take in requests")
    ANSWER_TASKS = "tasks", _("Answer tasks")


TOKEN_PREFIX = "dpo_"


def token_digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, at=None):
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=at)


class ApiToken(OrganisationOwned):
    system = models.ForeignKey(
        System, on_delete=models.PROTECT, related_name="api_tokens", verbose_name=_("system")
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What uses it, e.g. “loan system nightly push”.")
    )
    prefix = models.CharField(_("token starts with"), max_length=12, unique=True, editable=False)
    digest = models.CharField(_("SHA-256 of the token"), max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    expires_at = models.DateTimeField(_("expires at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    last_used_from = models.GenericIPAddressField(_("last used from"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["system", "-created_at", "pk"]
        indexes = [models.Index(fields=["organisation", "system"], name="api_token_org_system")]

    def __str__(self):
        return f"{self.name} ({self.masked})"

    @property
    def masked(self):
        return f"{self.prefix}…"

    @staticmethod
    def new_secret():
        """(secret, prefix): the secret is prefix + 40 random URL-safe characters."""
        prefix = TOKEN_PREFIX + secrets.token_hex(4)
        return f"{prefix}_{secrets.token_urlsafe(30)}", prefix

    def matches(self, secret):
        return secrets.compare_digest(self.digest, token_digest(secret))

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()

    def allows(self, scope):
        return scope in self.scopes


class IdempotencyKey(models.Model):
    """A write that was answered: the same key from the same token gets the same answer and
    changes nothing. ``body_sha256`` catches a key reused for another body."""

    token = models.ForeignKey(
        ApiToken, on_delete=models.CASCADE, related_name="+", verbose_name=_("API token")
    )
    key = models.CharField(_("key"), max_length=100)
    endpoint = models.CharField(_("endpoint"), max_length=100)
    body_sha256 = models.CharField(_("SHA-256 of the body"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    response = models.JSONField(_("response"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_once")
        ]

    def __str__(self):
        return f"{self.endpoint} · {self.key}"


class WebhookEndpoint(OrganisationOwned):
    """Where a system is told of its new tasks. The signing secret is shown once; it is kept
    (unlike a token's) because every delivery is signed with it."""

    system = models.ForeignKey(
        System, on_delete=models.PROTECT, related_name="webhooks", verbose_name=_("system")
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["system", "pk"]

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(OrganisationOwned):
    """One event sent to one endpoint, with its attempts. The body carries ids only."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("webhook"),
    )
    event = models.CharField(_("event"), max_length=50)
    payload = models.JSONField(_("body"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["endpoint", "status"], name="webhook_delivery_status")]

    def __str__(self):
        return f"{self.event} · {self.get_status_display()}"
