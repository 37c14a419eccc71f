"""The mailbox an organisation names and what arrives in it.

A draft (IncomingMail) holds what the sender wrote only while it waits for the DPO: turned into
a request, it becomes the request's application and details (and leaves with them, under the
request's scrubbing and erasure rules); discarded, it is blanked at once. What stays is a trace:
the keyed hash of the Message-ID that keeps the intake idempotent, the dates and the decision.
"""

import ipaddress
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from dpo_portal.register.models import OrganisationOwned


class MailboxSecurity(models.TextChoices):
    TLS = "tls", _("TLS from the first byte (IMAPS)")
    STARTTLS = "starttls", _("STARTTLS")
    # Only where nothing crosses a network: a server on this machine.
    PLAIN = "plain", _("Unencrypted (this machine only)")


class MailboxProblem(models.TextChoices):
    PASSWORD_NOT_SET = "password_not_set", _("The password's environment variable is not set")
    UNREACHABLE = "unreachable", _("The server cannot be reached")
    LOGIN_REFUSED = "login_refused", _("The server refused the user name or password")


DEFAULT_PORTS = {
    MailboxSecurity.TLS: 993,
    MailboxSecurity.STARTTLS: 143,
    MailboxSecurity.PLAIN: 143,
}
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(host):
    if (host or "").strip().lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip()).is_loopback
    except ValueError:
        return False


class Mailbox(OrganisationOwned):
    """The organisation's IMAP mailbox for requests (seed 003 §1.3, §7.1: the data-protection
    address). The password is never stored: ``password_env`` names the environment variable of
    the worker that holds it."""

    host = models.CharField(_("server"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(
        _("encryption"),
        max_length=10,
        choices=MailboxSecurity.choices,
        default=MailboxSecurity.TLS,
    )
    username = models.CharField(_("user name"), max_length=255)
    password_env = models.CharField(
        _("password's environment variable"),
        max_length=100,
        help_text=_(
            "The name of the environment variable holding the password on the servers that "
            "run the background jobs, e.g. QONSHU_IMAP_PASSWORD. The password itself is never "
            "stored."
        ),
    )
    folder = models.CharField(_("folder read"), max_length=255, default="INBOX")
    processed_folder = models.CharField(
        _("folder for processed messages"),
        max_length=255,
        default="Processed",
        help_text=_("Read messages are moved here, never deleted. Created when missing."),
    )
    enabled = models.BooleanField(_("read it"), default=True)
    # What the last attempt found: kept by the fetch, shown on the dashboard.
    last_checked_at = models.DateTimeField(
        _("last attempt at"), null=True, blank=True, editable=False
    )
    problem = models.CharField(
        _("problem"), max_length=20, choices=MailboxProblem.choices, blank=True, editable=False
    )
    problem_since = models.DateTimeField(_("problem since"), null=True, blank=True, editable=False)
    failed_attempts = models.PositiveIntegerField(
        _("failed attempts in a row"), default=0, editable=False
    )

    history = HistoricalRecords(
        excluded_fields=["last_checked_at", "problem", "problem_since", "failed_attempts"]
    )

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["organisation"]
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="mailbox_one_per_organisation")
        ]

    def __str__(self):
        return f"{self.username} · {self.host}"

    def clean(self):
        super().clean()
        if self.security == MailboxSecurity.PLAIN and not is_loopback(self.host):
            raise ValidationError(
                {
                    "security": _(
                        "An unencrypted connection is allowed only to a server on this machine "
                        "(127.0.0.1, ::1 or localhost): choose TLS or STARTTLS."
                    )
                }
            )
        if self.password_env and not self.password_env.replace("_", "").isalnum():
            raise ValidationError(
                {
                    "password_env": _(
                        "An environment variable's name has letters, digits and underscores "
                        "only (e.g. QONSHU_IMAP_PASSWORD), not the password itself."
                    )
                }
            )

    @property
    def password(self):
        return os.environ.get(self.password_env or "", "")

    @property
    def password_is_set(self):
        return bool(self.password)


class IncomingMailStatus(models.TextChoices):
    DRAFT = "draft", _("Waiting for the DPO")
    REQUEST = "request", _("Turned into a request")
    THREADED = "threaded", _("Joined a request's conversation")
    DISCARDED = "discarded", _("Discarded: not a request")


class IncomingMail(OrganisationOwned):
    """One message read from the mailbox."""

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.PROTECT, related_name="messages", verbose_name=_("mailbox")
    )
    # HMAC of the Message-ID (or of the message itself when it has none): what makes reading
    # twice harmless, without keeping an address-like header once the content is gone.
    message_key = models.CharField(max_length=64, editable=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=IncomingMailStatus.choices,
        default=IncomingMailStatus.DRAFT,
    )
    sender_name = models.CharField(_("sender's name"), max_length=200, blank=True)
    sender_email = models.EmailField(_("sender's e-mail"), blank=True)
    subject = models.CharField(pgettext_lazy("e-mail", "subject"), max_length=500, blank=True)
    body = models.TextField(_("text"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), help_text=_("The message's own date."))
    read_at = models.DateTimeField(_("read from the mailbox at"), auto_now_add=True)
    request = models.ForeignKey(
        "requests.SubjectRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incoming_mail",
        verbose_name=_("request"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    content_removed_at = models.DateTimeField(_("content removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incoming mail")
        verbose_name_plural = _("incoming mail")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "message_key"], name="incoming_mail_once_per_message"
            )
        ]
        indexes = [
            models.Index(
                fields=["organisation", "status", "sent_at"], name="incoming_mail_org_status"
            )
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self):
        """What the acknowledgement quotes until the draft is a request."""
        return f"{MAIL_REFERENCE_PREFIX}-{self.pk:06d}" if self.pk else ""


MAIL_REFERENCE_PREFIX = "MAIL"


class IncomingMailAttachment(models.Model):
    """A file that came with a draft, kept in the private attachments storage under a random
    name until the draft becomes a request (then it is the request's attachment) or is
    discarded (then the file is deleted)."""

    mail = models.ForeignKey(
        IncomingMail, on_delete=models.CASCADE, related_name="files", verbose_name=_("message")
    )
    file_type = models.CharField(_("file type"), max_length=10, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"))
    stored_name = models.CharField(max_length=100, blank=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    # A file the attachment rules refuse (too big, not an accepted type) is not kept; the row
    # tells the DPO it came.
    kept = models.BooleanField(_("kept"), default=True)

    class Meta:
        verbose_name = _("attachment of a message")
        verbose_name_plural = _("attachments of messages")
        ordering = ["mail", "pk"]

    def __str__(self):
        return f"{self.file_type} · {self.size}"
