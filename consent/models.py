"""Lawful basis: the legal bases, the record of processing (one purpose per activity), the
privacy-notice versions people accepted, and their consents."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dpo_portal.legal.models import LegalReference
from dpo_portal.register.models import (
    CodedEntry,
    DataCategory,
    DataSubject,
    OrganisationOwned,
    OrganisationQuerySet,
    Recipient,
    Regime,
    Source,
    SubjectType,
    System,
    unique_code_per_organisation,
)


class BasisKind(models.TextChoices):
    CONSENT = "consent", _("Consent")
    CONTRACT = "contract", _("Contract")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (a law sets the purpose)")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("Legitimate interests")
    VITAL_INTERESTS = "vital_interests", _("Vital interests")
    PUBLIC_TASK = "public_task", _("Public task")
    PUBLIC_DATA = "public_data", _("Publicly available data")


# Bases on which special-category data may not be processed without a further condition.
BASES_NOT_ALLOWING_SPECIAL = {BasisKind.LEGITIMATE_INTERESTS, BasisKind.CONTRACT}


class LegalBasis(models.Model):
    """A legal basis under one regime, e.g. GDPR Art. 6(1)(a) consent. A shared reference list."""

    regime = models.CharField(_("regime"), max_length=10, choices=Regime.choices)
    kind = models.CharField(_("kind"), max_length=30, choices=BasisKind.choices)
    name = models.CharField(_("name"), max_length=200)
    article = models.CharField(_("article"), max_length=200)
    reference = models.ForeignKey(
        LegalReference,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("legal reference cited"),
        help_text=_("The provision as the portal's list of references holds it, checked or not."),
    )
    description = models.TextField(_("description"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("legal basis")
        verbose_name_plural = _("legal bases")
        ordering = ["regime", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["regime", "kind"], name="one_basis_per_regime_kind")
        ]

    def __str__(self):
        return f"{self.name} ({self.article})"


class ProcessingActivityQuerySet(OrganisationQuerySet):
    def with_gaps(self):
        """Annotate each activity with one boolean per registered gap (see gaps.py)."""
        from .gaps import annotate_gaps

        return annotate_gaps(self)

    def having_gaps(self):
        from .gaps import filter_having_gaps

        return filter_having_gaps(self)

    def without_gaps(self):
        from .gaps import filter_having_gaps

        return filter_having_gaps(self, negate=True)


class ProcessingActivity(CodedEntry):
    """One line of the record of processing (GDPR Art. 30): one purpose."""

    purpose = models.TextField(_("purpose"))
    legal_basis = models.ForeignKey(
        LegalBasis,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("legal basis"),
    )
    legitimate_interest_assessment = models.TextField(
        _("legitimate-interest assessment"),
        blank=True,
        help_text=_("Required when the legal basis is legitimate interests."),
    )
    categories = models.ManyToManyField(
        DataCategory, blank=True, related_name="activities", verbose_name=_("data categories")
    )
    subject_types = models.ManyToManyField(
        SubjectType, blank=True, related_name="activities", verbose_name=_("subject types")
    )
    sources = models.ManyToManyField(
        Source, blank=True, related_name="activities", verbose_name=_("sources")
    )
    systems = models.ManyToManyField(
        System, blank=True, related_name="activities", verbose_name=_("systems")
    )
    recipients = models.ManyToManyField(
        Recipient, blank=True, related_name="activities", verbose_name=_("recipients")
    )
    security_measures = models.TextField(_("security measures"), blank=True)
    owner = models.CharField(_("owner"), max_length=200, blank=True)
    dpia_needed = models.BooleanField(_("DPIA needed"), default=False)

    history = HistoricalRecords(
        m2m_fields=[categories, subject_types, sources, systems, recipients]
    )
    objects = ProcessingActivityQuerySet.as_manager()

    class Meta(CodedEntry.Meta):
        verbose_name = _("processing activity")
        verbose_name_plural = _("record of processing")
        constraints = [unique_code_per_organisation("processingactivity")]
        indexes = [models.Index(fields=["organisation", "dpia_needed"])]

    def clean(self):
        super().clean()
        if (
            self.legal_basis_id
            and self.legal_basis.kind == BasisKind.LEGITIMATE_INTERESTS
            and not self.legitimate_interest_assessment.strip()
        ):
            raise ValidationError(
                {
                    "legitimate_interest_assessment": _(
                        "Legitimate interests need a written assessment of the balance."
                    )
                }
            )


class PrivacyNoticeQuerySet(OrganisationQuerySet):
    def current(self, on=None):
        """The version in force per organisation and language on ``on`` (today by default): the
        one with the latest effective date not after it (ties: the latest edition entered)."""
        on = on or timezone.localdate()
        return self.filter(
            effective_from__lte=on,
            pk=Subquery(
                PrivacyNotice.objects.filter(
                    organisation_id=OuterRef("organisation_id"),
                    language=OuterRef("language"),
                    effective_from__lte=on,
                )
                .order_by("-effective_from", "-pk")
                .values("pk")[:1]
            ),
        )

    def with_is_current(self, on=None):
        on = on or timezone.localdate()
        return self.annotate(
            is_current=Exists(self.model.objects.current(on).filter(pk=OuterRef("pk")))
        )


class PrivacyNotice(OrganisationOwned):
    """One version of the privacy policy in one language, e.g. IT0101 / 01 (az)."""

    registry_number = models.CharField(_("registry number"), max_length=50)
    edition = models.CharField(_("edition"), max_length=20)
    language = models.CharField(_("language"), max_length=10, default="az")
    title = models.CharField(_("title"), max_length=200)
    approved_by = models.CharField(_("approved by"), max_length=200, blank=True)
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"))
    text = models.TextField(_("text"))

    history = HistoricalRecords()
    objects = PrivacyNoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("privacy notice")
        verbose_name_plural = _("privacy notices")
        ordering = ["organisation", "language", "-effective_from"]
        indexes = [models.Index(fields=["organisation", "language", "-effective_from"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "registry_number", "edition", "language"],
                name="privacynotice_unique_edition",
            )
        ]

    def __str__(self):
        return f"{self.registry_number} / {self.edition} ({self.language})"


class ConsentChannel(models.TextChoices):
    WEB = "web", _("Web form")
    APP_CHECKBOX = "app_checkbox", _("App checkbox")
    PAPER = "paper", _("Paper")
    PHONE = "phone", _("Phone")
    E_SIGNATURE = "e_signature", _("Enhanced e-signature")
    EMAIL = "email", _("E-mail")


class ConsentQuerySet(OrganisationQuerySet):
    def active(self):
        return self.filter(withdrawn_at__isnull=True)

    def withdrawn(self):
        return self.filter(withdrawn_at__isnull=False)

    def withdrawn_since(self, since):
        return self.filter(withdrawn_at__gte=since)


class Consent(OrganisationOwned):
    subject = models.ForeignKey(
        DataSubject, on_delete=models.PROTECT, related_name="consents", verbose_name=_("subject")
    )
    activity = models.ForeignKey(
        ProcessingActivity,
        on_delete=models.PROTECT,
        related_name="consents",
        verbose_name=_("processing activity"),
    )
    notice = models.ForeignKey(
        PrivacyNotice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
        verbose_name=_("privacy notice version"),
    )
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=20, choices=ConsentChannel.choices)
    evidence_reference = models.CharField(_("evidence reference"), max_length=200, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_channel = models.CharField(
        _("withdrawal channel"), max_length=20, choices=ConsentChannel.choices, blank=True
    )

    history = HistoricalRecords()
    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "activity"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_active_consent_per_subject_and_activity",
                violation_error_message=_(
                    "This person already has an active consent for this activity; withdraw "
                    "it before recording a new one."
                ),
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=models.F("given_at")),
                name="consent_withdrawn_after_given",
                violation_error_message=_("A consent cannot be withdrawn before it was given."),
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "withdrawn_at"]),
            models.Index(fields=["organisation", "channel"]),
            models.Index(fields=["organisation", "given_at"]),
        ]

    def __str__(self):
        return f"{self.subject} · {self.activity}"

    @property
    def is_active(self):
        return self.withdrawn_at is None
