"""Retention: how long each kind of personal data is kept (rules), what the organisations hold
(the record inventory), what must not be disposed of (legal holds), what the sweep found due
(disposal batches) and the daily figures the retention report draws (snapshots)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from consent.models import Consent, ProcessingActivity
from dpo_portal.legal.models import LegalReference
from dpo_portal.register.models import (
    CodedEntry,
    DataCategory,
    DataSubject,
    Organisation,
    OrganisationOwned,
    OrganisationQuerySet,
    System,
    unique_code_per_organisation,
)

# --- Rules ------------------------------------------------------------------------------------


class PeriodUnit(models.TextChoices):
    DAYS = "days", _("days")
    MONTHS = "months", _("months")
    YEARS = "years", _("years")


class Trigger(models.TextChoices):
    COLLECTION = "collection", _("Collection of the data")
    RELATIONSHIP_END = "relationship_end", _("End of the relationship")
    LAST_ACTIVITY = "last_activity", _("Last activity")
    CONSENT_WITHDRAWAL = "consent_withdrawal", _("Withdrawal of consent")
    ACCOUNT_CLOSURE = "account_closure", _("Closure of the account")


class EndAction(models.TextChoices):
    ERASE = "erase", _("Erase")
    ANONYMISE = "anonymise", _("Anonymise")
    ARCHIVE = "archive", _("Archive")
    REVIEW = "review", _("Review")


# What was done, in the words a certificate uses: an anonymisation is not a destruction.
DONE_LABELS = {
    EndAction.ERASE: _("destroyed"),
    EndAction.ANONYMISE: _("anonymised"),
    EndAction.ARCHIVE: _("archived"),
    EndAction.REVIEW: _("reviewed"),
}


class RetentionRule(CodedEntry):
    """How long data of an activity and/or a category is kept, from which event, and what
    happens then. The most specific rule wins; among equally specific ones the longest."""

    activity = models.ForeignKey(
        ProcessingActivity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="retention_rules",
        verbose_name=_("processing activity"),
    )
    category = models.ForeignKey(
        DataCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="retention_rules",
        verbose_name=_("data category"),
    )
    period = models.PositiveIntegerField(_("period"), validators=[MinValueValidator(1)])
    unit = models.CharField(
        _("unit"), max_length=10, choices=PeriodUnit.choices, default=PeriodUnit.YEARS
    )
    trigger = models.CharField(
        _("the clock starts at"),
        max_length=30,
        choices=Trigger.choices,
        default=Trigger.COLLECTION,
    )
    end_action = models.CharField(
        _("at the end"), max_length=20, choices=EndAction.choices, default=EndAction.ERASE
    )
    legal_reference = models.TextField(
        _("legal reference"),
        blank=True,
        help_text=_("E.g. Tax Code art. 71.4: 5 years."),
    )
    reference = models.ForeignKey(
        LegalReference,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("legal reference cited"),
        help_text=_("The provision as the portal's list of references holds it, checked or not."),
    )

    history = HistoricalRecords()

    class Meta(CodedEntry.Meta):
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        constraints = [unique_code_per_organisation("retentionrule")]
        indexes = [models.Index(fields=["organisation", "trigger"])]

    @property
    def specificity(self):
        return int(self.activity_id is not None) + int(self.category_id is not None)

    def period_display(self):
        return f"{self.period} {self.get_unit_display()}"


# --- The record inventory ---------------------------------------------------------------------


class RecordStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DUE = "due", _("Due for disposal")
    ON_HOLD = "on_hold", _("On hold")
    DISPOSED = "disposed", _("Disposed")


class RecordQuerySet(OrganisationQuerySet):
    def due(self, on=None):
        """Active records whose retention has run out by ``on`` and that no hold protects."""
        on = on or timezone.localdate()
        return self.filter(status=RecordStatus.ACTIVE, expires_on__lte=on).exclude_held(on=on)

    def held(self, on=None):
        """Records an active legal hold covers (directly, or by subject, system or category)."""
        return self.filter(held_condition(on))

    def exclude_held(self, on=None):
        return self.filter(~held_condition(on))

    def for_subject(self, subject):
        return self.filter(subject=subject)

    def undisposed(self):
        return self.exclude(status=RecordStatus.DISPOSED)


class Record(OrganisationOwned):
    """One entry of the inventory: this subject's data of this category, for this activity, held
    in this system under this external id.

    No django-simple-history here, on purpose: the inventory has millions of rows that come from
    the organisations' systems by bulk import and are changed by the sweep in bulk UPDATEs (which
    history would not even see); people do not edit them. Every change that matters is recorded
    where it happens instead: the import job, the disposal batch and its certificate, the legal
    hold, and their AuditEvents.
    """

    # A million rows or more, written by bulk imports: every index costs on each insert, so the
    # single-column foreign-key indexes that the composite indexes below already serve (all of
    # them start with the organisation) are left out, and the mostly-empty links get partial ones.
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("organisation"),
    )
    # PROTECT throughout: a record leaves through disposal or a request, never as the side
    # effect of deleting what it points at (dpo_portal/deletion.py).
    subject = models.ForeignKey(
        DataSubject, on_delete=models.PROTECT, related_name="records", verbose_name=_("subject")
    )
    system = models.ForeignKey(
        System,
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,
        verbose_name=_("system"),
    )
    category = models.ForeignKey(
        DataCategory,
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,
        verbose_name=_("data category"),
    )
    activity = models.ForeignKey(
        ProcessingActivity,
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        related_name="records",
        verbose_name=_("processing activity"),
    )
    external_id = models.CharField(_("id in its system"), max_length=100)
    collected_at = models.DateField(_("collected on"))
    clock_started_at = models.DateField(
        _("retention clock started on"),
        null=True,
        blank=True,
        help_text=_(
            "The event that starts the rule's clock (end of the relationship, last activity, "
            "withdrawal, account closure). Empty while it has not happened."
        ),
    )
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RecordStatus.choices, default=RecordStatus.ACTIVE
    )
    rule = models.ForeignKey(
        RetentionRule,
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        related_name="records",
        verbose_name=_("retention rule"),
    )
    consent = models.ForeignKey(
        Consent,
        on_delete=models.SET_NULL,
        db_index=False,
        null=True,
        blank=True,
        related_name="records",
        verbose_name=_("held only on consent"),
    )
    disposal_batch = models.ForeignKey(
        "DisposalBatch",
        on_delete=models.SET_NULL,
        db_index=False,
        null=True,
        blank=True,
        related_name="records",
        verbose_name=_("disposal batch"),
    )
    disposed_at = models.DateTimeField(_("disposed at"), null=True, blank=True)
    disposal_action = models.CharField(
        _("disposal action"), max_length=20, choices=EndAction.choices, blank=True
    )

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("record")
        verbose_name_plural = _("records")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "system", "external_id", "category"],
                name="record_unique_per_system_id_category",
            )
        ]
        # Every index here is paid on every record the sweep flags: status is indexed, so each
        # due record is a new row version with an entry in each index (~3 buffer touches per
        # index and record). So only the indexes a query needs (docs/performance.md, "A sweep
        # that writes less"): the admin list's status and category filters (rare values would
        # otherwise scan the table), the sweep's partial index on active rows (it walks pk
        # ranges and picks the expired ones), the batch's records. The system filter is served
        # by the unique constraint (it starts with organisation, system); the activity filter
        # (few activities, each a large share of the records) by the primary key's order.
        indexes = [
            models.Index(fields=["organisation", "status", "-id"], name="record_org_status"),
            models.Index(fields=["organisation", "category", "-id"], name="record_org_category"),
            models.Index(fields=["organisation", "expires_on"], name="record_org_expires"),
            models.Index(fields=["organisation", "external_id"], name="record_org_external_id"),
            models.Index(
                fields=["id", "expires_on"],
                condition=Q(status="active"),
                name="record_sweep_active",
            ),
            # The sweep's other two revisits, per pk range and for every organisation (so the
            # status index, which starts with the organisation, cannot serve them): on-hold
            # records to release, due records an interrupted run left without a batch. Both
            # are rare, so these stay tiny, and a record the sweep flags due gets no entry.
            models.Index(fields=["id"], condition=Q(status="on_hold"), name="record_sweep_on_hold"),
            models.Index(
                fields=["id"],
                condition=Q(status="due", disposal_batch__isnull=True),
                name="record_sweep_unbatched",
            ),
            models.Index(
                fields=["consent"], condition=Q(consent__isnull=False), name="record_consent"
            ),
            models.Index(
                fields=["disposal_batch"],
                condition=Q(disposal_batch__isnull=False),
                name="record_disposal_batch",
            ),
        ]

    def __str__(self):
        return f"{self.system_id}:{self.external_id}"


def held_condition(on=None):
    """A Q true for records that an active legal hold covers, as NOT-EXISTS-friendly subqueries:
    the sweep, disposal and erasure all test holds set-based, never row by row."""
    active = LegalHold.objects.active(on=on)
    return (
        Exists(active.filter(record_id=OuterRef("pk")))
        | Exists(active.filter(subject_id=OuterRef("subject_id")))
        | Exists(active.filter(system_id=OuterRef("system_id")))
        | Exists(active.filter(category_id=OuterRef("category_id")))
    )


# --- Legal holds ------------------------------------------------------------------------------


class LegalHoldQuerySet(OrganisationQuerySet):
    def active(self, on=None):
        on = on or timezone.localdate()
        return self.filter(released_at__isnull=True).filter(
            Q(until__isnull=True) | Q(until__gte=on)
        )

    def covering(self, records, on=None):
        """Active holds that cover at least one of ``records`` (a Record queryset)."""
        records = records.order_by()
        return self.active(on=on).filter(
            Q(record__in=records.values("pk"))
            | Q(subject__in=records.values("subject_id"))
            | Q(system__in=records.values("system_id"))
            | Q(category__in=records.values("category_id"))
        )


def hold_target(model, label):
    return models.ForeignKey(
        model,
        on_delete=models.PROTECT,  # a hold is evidence: it outlives nothing it covers
        null=True,
        blank=True,
        related_name="legal_holds",
        verbose_name=label,
    )


class LegalHold(OrganisationOwned):
    """Keeps data from disposal and from erasure by request: litigation, an investigation, a
    regulator's order. Exactly one target: a subject, a system, a category or one record."""

    subject = hold_target(DataSubject, _("subject"))
    system = hold_target(System, _("system"))
    category = hold_target(DataCategory, _("data category"))
    record = hold_target(Record, _("record"))
    reason = models.TextField(_("reason"))
    reference = models.CharField(
        _("reference"), max_length=200, blank=True, help_text=_("Case, order or letter number.")
    )
    until = models.DateField(_("until"), null=True, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placed by"),
    )
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.TextField(_("reason for release"), blank=True)

    history = HistoricalRecords()
    objects = LegalHoldQuerySet.as_manager()

    TARGET_FIELDS = ("subject", "system", "category", "record")

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(subject__isnull=False, system__isnull=True, category__isnull=True)
                    & Q(record__isnull=True)
                )
                | (
                    Q(subject__isnull=True, system__isnull=False, category__isnull=True)
                    & Q(record__isnull=True)
                )
                | (
                    Q(subject__isnull=True, system__isnull=True, category__isnull=False)
                    & Q(record__isnull=True)
                )
                | (
                    Q(subject__isnull=True, system__isnull=True, category__isnull=True)
                    & Q(record__isnull=False)
                ),
                name="legalhold_exactly_one_target",
                violation_error_message=_(
                    "A hold covers exactly one of: a subject, a system, a category or a record."
                ),
            )
        ]
        indexes = [models.Index(fields=["organisation", "released_at"], name="hold_org_released")]

    def __str__(self):
        return self.reference or _("Legal hold #%(pk)s") % {"pk": self.pk}

    def clean(self):
        super().clean()
        if sum(getattr(self, f"{name}_id") is not None for name in self.TARGET_FIELDS) != 1:
            raise ValidationError(
                _("A hold covers exactly one of: a subject, a system, a category or a record.")
            )

    @property
    def target(self):
        for name in self.TARGET_FIELDS:
            if getattr(self, f"{name}_id") is not None:
                return getattr(self, name)
        return None

    @property
    def target_kind(self):
        for name in self.TARGET_FIELDS:
            if getattr(self, f"{name}_id") is not None:
                return self._meta.get_field(name).verbose_name
        return ""

    def is_active(self, on=None):
        on = on or timezone.localdate()
        return self.released_at is None and (self.until is None or self.until >= on)


# --- Disposal ---------------------------------------------------------------------------------


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting decision")
    APPROVED = "approved", _("Approved and disposed")
    # Approved, for a connected system whose database must change first: the records are
    # disposed of (and the certificate issued) only once that run has succeeded.
    IN_SOURCE = "in_source", _("Approved; being disposed of in the system")
    EXTENDED = "extended", _("Extended")
    REJECTED = "rejected", _("Rejected")


class DisposalBatchQuerySet(OrganisationQuerySet):
    def awaiting_decision(self, on=None):
        """Pending batches, and extended ones whose new date has come."""
        on = on or timezone.localdate()
        return self.filter(
            Q(status=BatchStatus.PENDING) | Q(status=BatchStatus.EXTENDED, extended_until__lte=on)
        )


class DisposalBatch(OrganisationOwned):
    """What the sweep found due for one system × category × rule, waiting for the DPO."""

    system = models.ForeignKey(
        System, on_delete=models.PROTECT, related_name="disposal_batches", verbose_name=_("system")
    )
    category = models.ForeignKey(
        DataCategory,
        on_delete=models.PROTECT,
        related_name="disposal_batches",
        verbose_name=_("data category"),
    )
    rule = models.ForeignKey(
        RetentionRule,
        on_delete=models.PROTECT,
        related_name="disposal_batches",
        verbose_name=_("retention rule"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    record_count = models.PositiveIntegerField(_("records"), default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    justification = models.TextField(_("justification"), blank=True)
    extended_until = models.DateField(_("extended until"), null=True, blank=True)
    # The certificate: fixed at approval, so later rule edits do not rewrite what was done.
    certificate_number = models.CharField(
        _("certificate number"), max_length=40, blank=True, db_index=True
    )
    disposed_count = models.PositiveIntegerField(_("records disposed"), default=0)
    kept_on_hold_count = models.PositiveIntegerField(_("records kept on hold"), default=0)
    action = models.CharField(_("action"), max_length=20, choices=EndAction.choices, blank=True)
    # For a connected system: disposed records whose id in the system names no table of its
    # data map, so the run could not change them there (said on the certificate).
    unlocated_in_source = models.PositiveIntegerField(
        _("records not located in the system's database"), default=0
    )
    legal_reference = models.TextField(_("legal reference"), blank=True)
    # Who approved, fixed at approval: [{"user_id", "name", "role", "at"}], one entry, or two
    # where the organisation has four eyes on (the first approver, then the confirming one).
    signatures = models.JSONField(_("approved by"), default=list, blank=True)
    first_record_id = models.PositiveBigIntegerField(_("first record id"), null=True, blank=True)
    last_record_id = models.PositiveBigIntegerField(_("last record id"), null=True, blank=True)
    disposed_ids_sha256 = models.CharField(
        _("SHA-256 of the disposed record ids"),
        max_length=64,
        blank=True,
        help_text=_("Over the sorted ids in decimal, one per line, each line ending in a newline."),
    )

    history = HistoricalRecords()
    objects = DisposalBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("disposal batch")
        verbose_name_plural = _("disposal batches")
        ordering = ["-created_at"]
        permissions = [
            ("approve_disposalbatch", _("Can approve, extend or reject a disposal batch")),
            ("sweep_disposalbatch", _("Can run the retention sweep")),
        ]
        constraints = [
            # The sweep's batch assignment relies on this: one open batch per key, so
            # concurrent chunks get_or_create the same batch instead of making two.
            models.UniqueConstraint(
                fields=["organisation", "system", "category", "rule"],
                condition=Q(status="pending"),
                name="one_pending_batch_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "status"], name="batch_org_status"),
        ]

    def __str__(self):
        return _("Disposal batch #%(pk)s") % {"pk": self.pk}

    @property
    def done_label(self):
        return DONE_LABELS.get(self.action or self.rule.end_action, "")


class CertificateCounter(models.Model):
    """The last disposal certificate number used per organisation and year, locked while a
    batch is approved (as RequestCounter is for DSR references): numbers have no gaps, since
    the counter moves in the approval's own transaction."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("certificate counter")
        verbose_name_plural = _("certificate counters")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year"], name="certificate_counter_per_organisation_year"
            )
        ]

    def __str__(self):
        return f"{self.organisation_id}/{self.year}: {self.last_number}"


class BatchExclusion(OrganisationOwned):
    """A record taken out of a batch before its approval, with the hold that keeps it: an
    extension (a hold until a date) or a hold with no end. The hold carries reason, who, when."""

    batch = models.ForeignKey(
        DisposalBatch,
        on_delete=models.PROTECT,
        related_name="exclusions",
        verbose_name=_("disposal batch"),
    )
    record = models.ForeignKey(
        Record, on_delete=models.PROTECT, related_name="+", verbose_name=_("record")
    )
    hold = models.ForeignKey(
        LegalHold, on_delete=models.PROTECT, related_name="+", verbose_name=_("legal hold")
    )

    class Meta:
        verbose_name = _("record excluded from a batch")
        verbose_name_plural = _("records excluded from batches")
        ordering = ["pk"]


# --- Daily figures for the report -------------------------------------------------------------


class RetentionSnapshot(OrganisationOwned):
    """One day's figures per system × category, taken daily, so the report draws trends without
    scanning the inventory's history."""

    taken_on = models.DateField(_("taken on"))
    system = models.ForeignKey(
        System, on_delete=models.PROTECT, related_name="+", verbose_name=_("system")
    )
    category = models.ForeignKey(
        DataCategory, on_delete=models.PROTECT, related_name="+", verbose_name=_("data category")
    )
    held = models.PositiveIntegerField(_("records held"), default=0)
    due = models.PositiveIntegerField(_("records due"), default=0)
    on_hold = models.PositiveIntegerField(_("records on hold"), default=0)
    disposed_in_day = models.PositiveIntegerField(_("records disposed that day"), default=0)
    oldest_overdue_days = models.PositiveIntegerField(
        _("age of the oldest overdue record (days)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("retention snapshot")
        verbose_name_plural = _("retention snapshots")
        ordering = ["-taken_on"]
        # The retention report (retention/reports.py) reads these aggregates: Managers get it
        # without any right on Record or DataSubject.
        permissions = [("view_retention_report", _("Can view the retention report"))]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "taken_on", "system", "category"],
                name="snapshot_unique_per_day_system_category",
            )
        ]
        indexes = [models.Index(fields=["organisation", "taken_on"], name="snapshot_org_day")]


class RetentionReport(RetentionSnapshot):
    """The retention report's entry in the admin index (a proxy: no table of its own); the page
    is in retention/reports.py."""

    class Meta:
        proxy = True
        verbose_name = _("retention report")
        verbose_name_plural = _("retention report")


# --- Sweep runs -------------------------------------------------------------------------------


class SweepRun(models.Model):
    """One fanned-out sweep (retention/tasks.py start_sweep) and its chunks: what lets a sweep
    whose worker died be finished by the beat-driven closer instead of waiting for the broker to
    redeliver, and lets the dashboard say that a sweep has not finished. Ids and counts only."""

    day = models.DateField(_("day"))
    organisation_ids = models.JSONField(_("organisations"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    # The last chunk finished or re-dispatched: the closer acts on runs quiet for a while.
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    resumed = models.PositiveIntegerField(_("times resumed"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")
        indexes = [
            models.Index(
                fields=["last_activity_at"],
                condition=Q(finished_at__isnull=True),
                name="sweeprun_unfinished",
            )
        ]

    def __str__(self):
        return f"{self.day} #{self.pk}"


class SweepChunk(models.Model):
    run = models.ForeignKey(SweepRun, on_delete=models.CASCADE, related_name="chunks")
    first_pk = models.BigIntegerField()
    last_pk = models.BigIntegerField()
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "first_pk"], name="sweepchunk_one_per_range")
        ]

    def __str__(self):
        return f"{self.run_id}: {self.first_pk}-{self.last_pk}"
