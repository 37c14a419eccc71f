"""A connector per System, its data map (Fides dataset YAML), and the portal's additions to it."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dpo_portal.register.models import DataCategory, OrganisationOwned, System

DSN_REFERENCE_RE = re.compile(r"^([A-Z_][A-Z0-9_]*|/[^\x00]+)$")


def validate_dsn_reference(value):
    if value and not DSN_REFERENCE_RE.match(value):
        raise ValidationError(
            _(
                "Name an environment variable (capitals, digits, underscores) or an absolute "
                "file path; never the DSN itself."
            )
        )


class ConnectorKind(models.TextChoices):
    POSTGRESQL = "postgresql", _("PostgreSQL")
    MYSQL = "mysql", _("MySQL / MariaDB")
    SQLITE = "sqlite", _("SQLite")
    API = "api", _("API (tokens and webhooks)")


class EraseStrategy(models.TextChoices):
    NULL = "null", _("Set to empty (NULL)")
    MASK = "mask", _("Mask")
    HASH = "hash", _("Replace by a keyed hash")
    KEEP = "keep", _("Keep unchanged")


class UnknownPeople(models.TextChoices):
    REPORT = "report", _("Report them (count only, their rows are left out)")
    CREATE = "create", _("Create them as data subjects")


class Connector(OrganisationOwned):
    system = models.OneToOneField(
        System, on_delete=models.PROTECT, related_name="connector", verbose_name=_("system")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ConnectorKind.choices)
    read_dsn = models.CharField(
        _("read-only DSN from"),
        max_length=300,
        blank=True,
        validators=[validate_dsn_reference],
        help_text=_(
            "Environment variable or file holding the DSN of the read-only role "
            "(sync, preview, access)."
        ),
    )
    write_dsn = models.CharField(
        _("write DSN from"),
        max_length=300,
        blank=True,
        validators=[validate_dsn_reference],
        help_text=_("Environment variable or file holding the DSN of the role that may erase."),
    )
    activity_code = models.SlugField(
        _("activity code"),
        max_length=60,
        blank=True,
        help_text=_("The processing activity synced records belong to (optional)."),
    )
    statement_timeout_ms = models.PositiveIntegerField(
        _("statement time limit (ms)"), default=30_000
    )
    lock_timeout_ms = models.PositiveIntegerField(_("lock time limit (ms)"), default=5_000)
    sync_enabled = models.BooleanField(_("nightly sync"), default=True)
    unknown_people = models.CharField(
        _("people the register does not know"),
        max_length=10,
        choices=UnknownPeople.choices,
        default=UnknownPeople.REPORT,
        help_text=_(
            "What a sync does with a person found at the source but not in the register. "
            "Created people go through the register's checks; an erased person is never "
            "created again."
        ),
    )
    last_synced_at = models.DateTimeField(_("last synced at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("connector")
        verbose_name_plural = _("connectors")
        ordering = ["system__name"]

    def __str__(self):
        return str(self.system)

    def clean(self):
        if (
            self.system_id
            and self.organisation_id
            and self.system.organisation_id != self.organisation_id
        ):
            raise ValidationError(_("The system belongs to another organisation."))

    @property
    def is_database(self):
        return self.kind != ConnectorKind.API


class DataMap(OrganisationOwned):
    connector = models.OneToOneField(
        Connector, on_delete=models.CASCADE, related_name="data_map", verbose_name=_("connector")
    )
    dataset_yaml = models.TextField(_("Fides dataset (YAML)"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("data map")
        verbose_name_plural = _("data maps")

    def __str__(self):
        return str(self.connector)

    def clean(self):
        from .datamap import DataMapInvalid, parse

        try:
            parse(self.dataset_yaml)
        except DataMapInvalid as invalid:
            raise ValidationError(
                {"dataset_yaml": [str(error) for error in invalid.errors]}
            ) from None


class CollectionSetting(models.Model):
    """What Fides lacks for a collection: the column that dates the record's collection."""

    data_map = models.ForeignKey(
        DataMap,
        on_delete=models.CASCADE,
        related_name="collection_settings",
        verbose_name=_("data map"),
    )
    collection = models.CharField(_("collection"), max_length=200)
    collected_at_field = models.CharField(_("collection date column"), max_length=200)

    class Meta:
        verbose_name = _("collection setting")
        verbose_name_plural = _("collection settings")
        constraints = [
            models.UniqueConstraint(
                fields=["data_map", "collection"], name="connector_collection_once"
            )
        ]

    def __str__(self):
        return self.collection


class FieldSetting(models.Model):
    """The erase strategy of one field, overriding the map's (or the default: NULL)."""

    data_map = models.ForeignKey(
        DataMap, on_delete=models.CASCADE, related_name="field_settings", verbose_name=_("data map")
    )
    collection = models.CharField(_("collection"), max_length=200)
    field = models.CharField(_("field"), max_length=200)
    strategy = models.CharField(_("erase strategy"), max_length=10, choices=EraseStrategy.choices)

    class Meta:
        verbose_name = _("field setting")
        verbose_name_plural = _("field settings")
        constraints = [
            models.UniqueConstraint(
                fields=["data_map", "collection", "field"], name="connector_field_once"
            )
        ]

    def __str__(self):
        return f"{self.collection}.{self.field}"


class CategoryMapping(OrganisationOwned):
    """A fideslang category (or its prefix) as one of the organisation's data categories."""

    fides_category = models.CharField(_("fideslang category"), max_length=200)
    category = models.ForeignKey(
        DataCategory, on_delete=models.CASCADE, related_name="+", verbose_name=_("data category")
    )

    class Meta:
        verbose_name = _("category mapping")
        verbose_name_plural = _("category mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "fides_category"], name="connector_category_once"
            )
        ]

    def __str__(self):
        return self.fides_category


class RunKind(models.TextChoices):
    ERASE = "erase", _("Erasure")
    ACCESS = "access", _("Access")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ConnectorRun(OrganisationOwned):
    """One run of statements in a source, with what it did per table (no values)."""

    connector = models.ForeignKey(
        Connector, on_delete=models.PROTECT, related_name="runs", verbose_name=_("connector")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=RunKind.choices)
    # The request task it acts for: the requests app owns that link (it sits above this app).
    task_id = models.PositiveBigIntegerField(_("task"), null=True, blank=True, db_index=True)
    # Or the retention disposal batch it carries out (retention owns that link, likewise).
    batch_id = models.PositiveBigIntegerField(
        _("disposal batch"), null=True, blank=True, db_index=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    server = models.CharField(_("server"), max_length=100, blank=True)
    database = models.CharField(_("database"), max_length=200, blank=True)
    tables = models.JSONField(_("tables"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("connector run")
        verbose_name_plural = _("connector runs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "status"], name="connector_run_org_status")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.connector}"
