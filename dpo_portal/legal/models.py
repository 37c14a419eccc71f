"""The law as data a DPO maintains: references (verified against the official text or not),
regimes and their dated versions, the Cabinet's yearly calendar decisions and the state
registration rule for information systems.

The app sits left of the register: it knows no organisation. Organisations pick a regime by its
code (Organisation.regime); a request follows the version of that regime in force on the day it
was received.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.models import HistoricalRecords


def in_language(az, en):
    """The Azerbaijani or the English text, whichever the active language asks for."""
    language = translation.get_language() or "az"
    return (az or en) if language.startswith("az") else (en or az)


# --- References -------------------------------------------------------------------------------


class LegalReferenceQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(verified_on__isnull=False)

    def unverified(self):
        return self.filter(verified_on__isnull=True)


class LegalReference(models.Model):
    """One provision cited somewhere in the portal (a letter, the record of processing, a
    retention rule, a request kind), with where it was taken from and whether someone checked
    it against the official text."""

    code = models.SlugField(
        _("code"), max_length=80, unique=True, help_text=_("A stable name, e.g. az-998-art-7.")
    )
    citation_az = models.CharField(_("citation (Azerbaijani)"), max_length=300)
    citation_en = models.CharField(_("citation (English)"), max_length=300)
    text = models.TextField(
        _("text"), blank=True, help_text=_("What the provision says, quoted or summarised.")
    )
    source_url = models.URLField(_("source address"), max_length=500, blank=True)
    source_document = models.CharField(
        _("source document"),
        max_length=300,
        blank=True,
        help_text=_("Where the text was taken from when there is no address, e.g. a gazette."),
    )
    verified_on = models.DateField(
        _("verified against the official text on"), null=True, blank=True
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_by_name = models.CharField(
        _("verified by (name)"),
        max_length=200,
        blank=True,
        help_text=_("For checks made before the portal had the user, e.g. at the shipping."),
    )

    history = HistoricalRecords()
    objects = LegalReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal reference")
        verbose_name_plural = _("legal references")
        ordering = ["code"]
        indexes = [models.Index(fields=["verified_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(verified_on__isnull=True)
                | Q(verified_by__isnull=False)
                | ~Q(verified_by_name=""),
                name="legal_reference_verified_by_someone",
            )
        ]

    def __str__(self):
        return self.citation

    @property
    def citation(self):
        return in_language(self.citation_az, self.citation_en)

    @property
    def is_verified(self):
        return self.verified_on is not None

    @property
    def verifier(self):
        return self.verified_by or self.verified_by_name

    @property
    def verification(self):
        if not self.is_verified:
            return _("unverified")
        return _("verified against the official text on %(date)s by %(user)s") % {
            "date": self.verified_on.isoformat(),
            "user": self.verifier,
        }

    def clean(self):
        if self.verified_on and not (self.verified_by_id or self.verified_by_name):
            raise ValidationError({"verified_by": _("Say who checked it against the text.")})
        if self.verified_on and self.verified_on > timezone.localdate():
            raise ValidationError({"verified_on": _("A check cannot be dated in the future.")})


# --- Regimes and their versions ---------------------------------------------------------------


class PeriodUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    CALENDAR_DAYS = "calendar_days", _("calendar days")
    MONTHS = "months", _("months")


def period_text(count, unit):
    """ "7 working days", "1 month": a count with its unit, in the active language."""
    if unit == PeriodUnit.WORKING_DAYS:
        text = ngettext("%(count)d working day", "%(count)d working days", count)
    elif unit == PeriodUnit.CALENDAR_DAYS:
        text = ngettext("%(count)d calendar day", "%(count)d calendar days", count)
    else:
        text = ngettext("%(count)d month", "%(count)d months", count)
    return text % {"count": count}


class CountingStart(models.TextChoices):
    NEXT_WORKING_DAY = "next_working_day", _("the next working day after receipt")
    RECEIPT_DAY = "receipt_day", _("the day of receipt")


class Regime(models.Model):
    """A body of data protection law an organisation answers to. The code is what the
    organisation's "legal regime" field stores."""

    code = models.SlugField(_("code"), max_length=10, unique=True)
    name_az = models.CharField(_("name (Azerbaijani)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("legal regime")
        verbose_name_plural = _("legal regimes")
        ordering = ["code"]

    def __str__(self):
        return in_language(self.name_az, self.name_en)

    def version_on(self, day):
        return self.versions.in_force_on(day).first()


class RegimeVersionQuerySet(models.QuerySet):
    def in_force_on(self, day):
        """The version in force on ``day`` first: the latest one that took effect by then."""
        return self.filter(effective_from__lte=day).order_by("-effective_from")

    def of_regime(self, code):
        return self.filter(regime__code=code)


def _period_field(verbose_name, default=0, help_text=""):
    return models.PositiveSmallIntegerField(
        verbose_name, default=default, validators=[MinValueValidator(0)], help_text=help_text
    )


def _unit_field(verbose_name, default=PeriodUnit.WORKING_DAYS):
    return models.CharField(
        verbose_name, max_length=20, choices=PeriodUnit.choices, default=default
    )


def _reference_field(verbose_name, related_name="+"):
    return models.ForeignKey(
        LegalReference,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
    )


class RegimeVersion(models.Model):
    """The rules of a regime from a date on. A request follows the version in force on the day
    it was received; a later version never changes the rule of a request received before it."""

    regime = models.ForeignKey(
        Regime, on_delete=models.PROTECT, related_name="versions", verbose_name=_("regime")
    )
    name_az = models.CharField(_("name (Azerbaijani)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    law = _reference_field(_("the law"))
    effective_from = models.DateField(_("in force from"))
    calendar_country = models.CharField(
        _("calendar country"),
        max_length=2,
        default="AZ",
        help_text=_("Whose working days count: an ISO country code, e.g. AZ."),
    )
    answer_count = _period_field(_("answer within"), default=7)
    answer_unit = _unit_field(_("answer period unit"))
    counting_starts = models.CharField(
        _("counting starts on"),
        max_length=20,
        choices=CountingStart.choices,
        default=CountingStart.NEXT_WORKING_DAY,
    )
    answer_reference = _reference_field(_("reference for the answer period"))
    third_party_extension_count = _period_field(
        _("third-party extension"),
        help_text=_("Added once where a third party must supply data; 0 when the law has none."),
    )
    third_party_extension_unit = _unit_field(_("third-party extension unit"))
    max_extension_count = _period_field(
        _("maximum extension"),
        help_text=_("For complex or numerous requests, in all; 0 when the law allows none."),
    )
    max_extension_unit = _unit_field(_("maximum extension unit"), default=PeriodUnit.MONTHS)
    extension_notice_count = _period_field(
        _("tell the person of an extension within"),
        help_text=_("Counted from receipt like the answer period."),
    )
    extension_notice_unit = _unit_field(_("extension notice unit"), default=PeriodUnit.MONTHS)
    extension_reference = _reference_field(_("reference for extensions"))
    refusal_count = _period_field(
        _("reasoned refusal within"),
        help_text=_("0: a refusal is due with the answer."),
    )
    refusal_unit = _unit_field(_("reasoned refusal unit"))
    refusal_reference = _reference_field(_("reference for the refusal period"))

    history = HistoricalRecords()
    objects = RegimeVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("regime version")
        verbose_name_plural = _("regime versions")
        ordering = ["regime__code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["regime", "effective_from"], name="regime_version_one_per_date"
            ),
            models.CheckConstraint(condition=Q(answer_count__gt=0), name="regime_answer_period"),
        ]

    def __str__(self):
        return in_language(self.name_az, self.name_en)

    @property
    def name(self):
        return str(self)

    def next_version(self):
        return (
            RegimeVersion.objects.filter(
                regime_id=self.regime_id, effective_from__gt=self.effective_from
            )
            .order_by("effective_from")
            .first()
        )

    def rules(self):
        from .rules import DeadlineRules

        return DeadlineRules.of(self)

    @property
    def answer_period(self):
        return period_text(self.answer_count, self.answer_unit)

    @property
    def refusal_period(self):
        if not self.refusal_count:
            return _("with the answer")
        return period_text(self.refusal_count, self.refusal_unit)

    def summary(self):
        """The figures in one sentence, as the request page shows them."""
        text = _(
            "answer within %(answer)s, counted from %(start)s; a reasoned refusal within "
            "%(refusal)s"
        ) % {
            "answer": self.answer_period,
            "start": self.get_counting_starts_display(),
            "refusal": self.refusal_period,
        }
        if self.third_party_extension_count:
            text += _("; %(extra)s more where a third party must supply data") % {
                "extra": period_text(
                    self.third_party_extension_count, self.third_party_extension_unit
                )
            }
        if self.max_extension_count:
            text += _("; extendable by up to %(extra)s, the person told within %(notice)s") % {
                "extra": period_text(self.max_extension_count, self.max_extension_unit),
                "notice": period_text(self.extension_notice_count, self.extension_notice_unit),
            }
        return text

    def refusal_ground(self, code):
        """The ground with this code under this version, or None: what a closing check asks
        ("may this request be refused on that ground?")."""
        return next((g for g in self.refusal_grounds.all() if g.code == code), None)

    def refusal_ground_choices(self):
        """(code, "label — reference") pairs for a select, like requests/refusals.choices_for."""
        return [
            (g.code, f"{g.label} — {g.reference.citation if g.reference else '—'}")
            for g in self.refusal_grounds.select_related("reference")
        ]

    def kind_offer(self, kind):
        return next((o for o in self.kinds.all() if o.kind == kind), None)

    def clean(self):
        if self.max_extension_count and not self.extension_notice_count:
            raise ValidationError(
                {"extension_notice_count": _("Say by when the person must be told.")}
            )


class RequestKindOffer(models.Model):
    """A right the version gives: the request kind, where the law says so, and what it means in
    plain words (shown to the DPO and quoted in letters)."""

    version = models.ForeignKey(
        RegimeVersion, on_delete=models.CASCADE, related_name="kinds", verbose_name=_("version")
    )
    kind = models.CharField(_("request kind"), max_length=30)
    reference = _reference_field(_("legal reference"))
    description_az = models.TextField(_("plain-language description (Azerbaijani)"))
    description_en = models.TextField(_("plain-language description (English)"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("request kind offered")
        verbose_name_plural = _("request kinds offered")
        ordering = ["version", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "kind"], name="regime_kind_once")]

    def __str__(self):
        return self.kind

    @property
    def description(self):
        return in_language(self.description_az, self.description_en)


class RefusalGround(models.Model):
    """A ground on which the version lets a request be refused. Codes are stable: requests and
    audit events store them."""

    version = models.ForeignKey(
        RegimeVersion,
        on_delete=models.CASCADE,
        related_name="refusal_grounds",
        verbose_name=_("version"),
    )
    code = models.SlugField(_("code"), max_length=40)
    label_az = models.CharField(_("label (Azerbaijani)"), max_length=300)
    label_en = models.CharField(_("label (English)"), max_length=300)
    reference = _reference_field(_("legal reference"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("refusal ground")
        verbose_name_plural = _("refusal grounds")
        ordering = ["version", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="refusal_ground_once")
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        return in_language(self.label_az, self.label_en)


# --- The working calendar ---------------------------------------------------------------------


class CalendarDecision(models.Model):
    """The Cabinet's decision for a year: confirmed bayram dates, swapped rest and working days
    (Labour Code art. 105.4: fixed by the end of December for the next year). It corrects the
    `holidays` package, which only estimates the bayram dates of years not yet decided."""

    country = models.CharField(_("country"), max_length=2, default="AZ")
    year = models.PositiveSmallIntegerField(_("year"))
    reference = models.CharField(
        _("decision"), max_length=300, help_text=_("Its number and date, e.g. No. 123, 2026-12-20.")
    )
    source_url = models.URLField(_("source address"), max_length=500, blank=True)
    confirms_bayram_dates = models.BooleanField(
        _("confirms the bayram dates"),
        default=True,
        help_text=_(
            "The package's estimated bayram dates of the year are replaced by the days off "
            "recorded here."
        ),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Cabinet calendar decision")
        verbose_name_plural = _("Cabinet calendar decisions")
        ordering = ["country", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["country", "year"], name="calendar_decision_per_year")
        ]

    def __str__(self):
        return f"{self.country} {self.year}: {self.reference}"


class CalendarDay(models.Model):
    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("day off")
        WORKING_DAY = "working_day", _("working day (a rest day worked)")

    decision = models.ForeignKey(
        CalendarDecision, on_delete=models.CASCADE, related_name="days", verbose_name=_("decision")
    )
    day = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DAY_OFF)
    name = models.CharField(_("name"), max_length=200, blank=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "day"], name="calendar_day_once")
        ]

    def __str__(self):
        return f"{self.day.isoformat()} {self.get_kind_display()}"

    def clean(self):
        # The decision may be unsaved yet (added with its days in one form): read its year.
        decision = self.decision if self.decision_id else self._state.fields_cache.get("decision")
        if decision is not None and self.day and decision.year and self.day.year != decision.year:
            raise ValidationError(
                {
                    "day": _("The date must fall in the decision's year %(year)d.")
                    % {"year": decision.year}
                }
            )


# --- State registration of information systems ------------------------------------------------


class RegistrationRule(models.Model):
    """When an information system must be entered in the state register, by when, and the fine
    for processing in an unregistered one."""

    country = models.CharField(_("country"), max_length=2, unique=True, default="AZ")
    subject_threshold = models.PositiveIntegerField(
        _("subjects from which registration is required"), default=1000
    )
    days_to_file = models.PositiveSmallIntegerField(_("days to file after creation"), default=20)
    filing_reference = _reference_field(_("reference for registration and its deadline"))
    fine_min_azn = models.PositiveIntegerField(_("fine from (AZN)"), default=300)
    fine_max_azn = models.PositiveIntegerField(_("fine up to (AZN)"), default=500)
    fine_reference = _reference_field(_("reference for the fine"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("state registration rule")
        verbose_name_plural = _("state registration rules")
        ordering = ["country"]

    def __str__(self):
        return f"{self.country}: {self.subject_threshold}+"

    def due_on(self, created_on):
        return created_on + datetime.timedelta(days=self.days_to_file)
