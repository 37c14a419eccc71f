"""Data-subject requests: intake, identity, deadlines, per-system tasks and response letters.

A request carries a copy of what the requester told us (REQUESTER_FIELDS): it is personal data
that the portal keeps only while it needs it — erasure scrubs it with the subject, and the portal's
own retention scrubs it from closed requests after PORTAL_RETENTION["closed_request_details_days"].
"""

import datetime
import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.models import HistoricalRecords

from dpo_portal.legal.models import RegimeVersion
from dpo_portal.register.models import (
    FIN_HELP,
    ID_DOCUMENT_HELP,
    PHONE_HELP,
    DataSubject,
    Organisation,
    OrganisationOwned,
    OrganisationQuerySet,
    Regime,
    System,
    fold_for_search,
    normalise_fin,
    normalise_id_document,
    normalise_phone,
    validate_fin,
    validate_id_document,
    validate_phone,
)

from . import deadlines, refusals

# --- Kinds, channels and their legal references -----------------------------------------------


class RequestKind(models.TextChoices):
    # Seed 000, 8.1 a)–g): the rights of the Law on Personal Data, art. 7.2.
    EXISTENCE = "existence", _("Whether data about me exists")
    LEGAL_BASIS = "legal_basis", _("Legal basis and its consequences")
    ACCESS = "access", _("Access to the content of my data")
    PURPOSES_AND_ACCESS = "purposes_and_access", _("Purposes, conditions and who has access")
    CORRECTION = "correction", _("Correction")
    DELETION = "deletion", _("Deletion")
    ARCHIVING = "archiving", _("Archiving")
    SOURCES = "sources", _("Sources and their lawfulness")
    PROTECTION = "protection", _("Protection of my data")
    # Seed 003, 3.5.
    CONSENT_WITHDRAWAL = "consent_withdrawal", _("Withdrawal of consent")
    OBJECTION = "objection", _("Objection to processing")
    RESTRICTION = "restriction", _("Restriction of processing")
    # GDPR organisations only.
    PORTABILITY = "portability", _("Data portability")


# Where each right comes from, per regime (shown on the request and quoted in letters). A kind
# missing under a regime is not a right there (portability has no Azerbaijani counterpart).
KIND_LEGAL_REFERENCE = {
    Regime.AZERBAIJAN: {
        RequestKind.EXISTENCE: _("Law on Personal Data, art. 7.2.1"),
        RequestKind.LEGAL_BASIS: _("Law on Personal Data, art. 7.2.2"),
        RequestKind.ACCESS: _("Law on Personal Data, art. 7.2.3"),
        RequestKind.PURPOSES_AND_ACCESS: _("Law on Personal Data, art. 7.2.4"),
        RequestKind.CORRECTION: _("Law on Personal Data, art. 7.2.5"),
        RequestKind.DELETION: _("Law on Personal Data, art. 7.2.5 and 9.4"),
        RequestKind.ARCHIVING: _("Law on Personal Data, art. 7.2.5"),
        RequestKind.SOURCES: _("Law on Personal Data, art. 7.2.6"),
        RequestKind.PROTECTION: _("Law on Personal Data, art. 7.2.7"),
        RequestKind.CONSENT_WITHDRAWAL: _("Law on Personal Data, art. 8"),
        RequestKind.OBJECTION: _("Law on Personal Data, art. 7"),
        RequestKind.RESTRICTION: _("Law on Personal Data, art. 7.2.5"),
    },
    Regime.GDPR: {
        RequestKind.EXISTENCE: _("GDPR Art. 15(1)"),
        RequestKind.LEGAL_BASIS: _("GDPR Art. 13(1)(c), 14(1)(c), 15(1)"),
        RequestKind.ACCESS: _("GDPR Art. 15(1) and (3)"),
        RequestKind.PURPOSES_AND_ACCESS: _("GDPR Art. 15(1)(a)–(d)"),
        RequestKind.CORRECTION: _("GDPR Art. 16"),
        RequestKind.DELETION: _("GDPR Art. 17"),
        RequestKind.ARCHIVING: _("GDPR Art. 17(3) and 89"),
        RequestKind.SOURCES: _("GDPR Art. 15(1)(g)"),
        RequestKind.PROTECTION: _("GDPR Art. 32 and 77"),
        RequestKind.CONSENT_WITHDRAWAL: _("GDPR Art. 7(3)"),
        RequestKind.OBJECTION: _("GDPR Art. 21"),
        RequestKind.RESTRICTION: _("GDPR Art. 18"),
        RequestKind.PORTABILITY: _("GDPR Art. 20"),
    },
}


def kinds_for_regime(regime):
    return [kind for kind in RequestKind if kind in KIND_LEGAL_REFERENCE.get(regime, {})]


class RequestChannel(models.TextChoices):
    # Seed 000, 8.3: on paper with an identity document, or signed with an enhanced e-signature.
    PAPER_WITH_ID = "paper_with_id", _("Paper application with an identity document")
    E_SIGNATURE = "e_signature", _("Enhanced electronic signature")
    EMAIL = "email", _("E-mail")
    APP = "app", _("In the app")
    # The privacy centre's form (requests/public/), and the organisation's website via the API.
    WEB = "web", _("Web form")
    IN_PERSON = "in_person", _("In person")


class RequestStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    PAUSED = "paused", _("Paused: waiting for information")
    COMPLETED = "completed", _("Completed")
    PARTIALLY_COMPLETED = "partially_completed", _("Partially completed")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn by the requester")


OPEN_STATUSES = (RequestStatus.NEW, RequestStatus.IN_PROGRESS, RequestStatus.PAUSED)
CLOSED_STATUSES = tuple(s for s in RequestStatus if s not in OPEN_STATUSES)


class IdentityStatus(models.TextChoices):
    PENDING = "pending", _("Not yet checked")
    VERIFIED = "verified", _("Verified")
    INFO_REQUESTED = "info_requested", _("More information requested")
    FAILED = "failed", _("Could not be verified")


class IdentityMethod(models.TextChoices):
    # Seed 000, 8.3–8.4.
    ID_DOCUMENT_SEEN = "id_document_seen", _("Identity document seen in person")
    ID_DOCUMENT_COPY = "id_document_copy", _("Copy of the identity document with the application")
    E_SIGNATURE = "e_signature", _("Enhanced electronic signature checked")
    APP_ACCOUNT = "app_account", _("Signed in to their account in the app")
    KNOWN_CONTACT = "known_contact", _("Answer from the contact details we hold")
    ADDITIONAL_INFO = "additional_info", _("Additional information supplied on request")


class Urgency(models.TextChoices):
    """How soon a request must be answered, as the triage queue marks it (most urgent first)."""

    OVERDUE = "overdue", _("Overdue")
    DUE_SOON = "due_soon", _("Due within 2 working days")
    ON_TRACK = "on_track", _("On track")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")


URGENCY_ORDER = {u: n for n, u in enumerate(Urgency)}


def queue_group():
    """The triage queue's first ordering key: 0 running, 1 paused, 2 closed. With due_on it
    gives the urgency order (overdue, due soon and on track follow due_on within an
    organisation), and the expression index request_queue_order serves it: sorting every open
    request by the urgency CASE cost more than the rest of the page."""
    return models.Case(
        models.When(~Q(status__in=OPEN_STATUSES), then=models.Value(2)),
        models.When(status=RequestStatus.PAUSED, then=models.Value(1)),
        default=models.Value(0),
        output_field=models.IntegerField(),
    )


# --- Reference numbers ------------------------------------------------------------------------


class RequestCounter(models.Model):
    """The last reference number used per organisation and year. Locked with SELECT ... FOR
    UPDATE while a request is created, so concurrent intakes wait in line: no number is used
    twice, and since the counter moves in the same transaction as the insert, none is skipped."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("request counter")
        verbose_name_plural = _("request counters")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year"], name="request_counter_per_organisation_year"
            )
        ]

    def __str__(self):
        return f"{self.organisation_id}/{self.year}: {self.last_number}"


REFERENCE_PREFIX = "DSR"


def format_reference(year, number):
    return f"{REFERENCE_PREFIX}-{year}-{number:05d}"


def next_reference(organisation_id, year):
    """Take the next number of the organisation's year. Must run inside the transaction that
    saves the request (the row lock is held until it commits or rolls back)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_reference() must run inside the request's transaction")
    RequestCounter.objects.get_or_create(organisation_id=organisation_id, year=year)
    counter = RequestCounter.objects.select_for_update().get(
        organisation_id=organisation_id, year=year
    )
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return format_reference(year, counter.last_number)


# --- Requests ---------------------------------------------------------------------------------


class SubjectRequestQuerySet(OrganisationQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def closed(self):
        return self.filter(status__in=CLOSED_STATUSES)

    def assigned_to(self, user):
        return self.filter(assignee=user)

    def with_urgency(self, on=None):
        """Annotate ``urgency`` and ``urgency_rank`` (0 = most urgent) in SQL, so the triage
        list can sort and filter by it without a query per row. "Due soon" means due within 2
        working days of the organisation's calendar."""
        return self.annotate(**deadlines.urgency_expression(on=on))

    def overdue(self, on=None):
        return self.with_urgency(on).filter(urgency=Urgency.OVERDUE)

    def urgency_conditions(self, on=None, organisations=None):
        """{urgency: condition} for the open requests' urgencies, each its plain condition on
        status and due_on (no CASE per request: the index request_org_status_due serves
        them), to count with ``dashboard.count_each`` or ``Count(filter=...)``.
        ``organisations``: the rows of the organisations counted, when already read (their
        calendars give the due-soon limits)."""
        whens = deadlines.urgency_whens(on, organisations)
        return {
            u.value: deadlines.urgency_condition(u, whens) for u in Urgency if u != Urgency.CLOSED
        }


class SubjectRequest(OrganisationOwned):
    REQUESTER_FIELDS = (
        "requester_name",
        "requester_email",
        "requester_phone",
        "requester_fin",
        "requester_id_document",
        "requester_address",
        "requester_account_id",
        "details",
    )

    reference = models.CharField(_("reference"), max_length=20, editable=False)
    kind = models.CharField(_("kind"), max_length=30, choices=RequestKind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=RequestChannel.choices)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    requester_name = models.CharField(_("requester's name"), max_length=200, blank=True)
    requester_email = models.EmailField(_("requester's e-mail"), blank=True)
    requester_phone = models.CharField(
        _("requester's phone"),
        max_length=30,
        blank=True,
        validators=[validate_phone],
        help_text=PHONE_HELP,
    )
    # Long enough for what people type ("5zk 8r2t"): validated, then kept in 7 characters.
    requester_fin = models.CharField(
        _("requester's FIN"),
        max_length=12,
        blank=True,
        validators=[validate_fin],
        help_text=FIN_HELP,
    )
    requester_id_document = models.CharField(
        _("requester's identity document number"),
        max_length=20,
        blank=True,
        validators=[validate_id_document],
        help_text=ID_DOCUMENT_HELP,
    )
    requester_address = models.TextField(_("requester's postal address"), blank=True)
    details = models.TextField(_("what the requester asks"), blank=True)
    requester_account_id = models.CharField(
        _("requester's account in the app"),
        max_length=100,
        blank=True,
        help_text=_("The id of the requester's account in the organisation's website or app."),
    )
    # The system whose API token sent the request in (the website's, the app's); only that
    # system's tokens read its status.
    received_via = models.ForeignKey(
        System,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("received through the API of"),
    )
    registered_late_reason = models.TextField(
        _("registered late because"),
        blank=True,
        help_text=_("Required when the request was received more than 30 days ago."),
    )
    # What the triage search reads: the reference and the requester's identifiers, lower case,
    # Azerbaijani letters folded, phones as digits (see search_text_for). Not in the history;
    # scrubbed with the requester's details.
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)
    requester_scrubbed_at = models.DateTimeField(
        _("requester details removed at"), null=True, blank=True, editable=False
    )

    subject = models.ForeignKey(
        DataSubject,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("data subject"),
    )

    identity_status = models.CharField(
        _("identity"), max_length=20, choices=IdentityStatus.choices, default=IdentityStatus.PENDING
    )
    identity_method = models.CharField(
        _("identity verified by method"), max_length=30, choices=IdentityMethod.choices, blank=True
    )
    identity_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("identity verified by"),
    )
    identity_verified_at = models.DateTimeField(_("identity verified at"), null=True, blank=True)

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_subject_requests",
        verbose_name=_("assignee"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.NEW
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    regime_version = models.ForeignKey(
        RegimeVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="requests",
        verbose_name=_("rules followed"),
        help_text=_("The version of the legal regime in force on the day of receipt."),
    )
    extended = models.BooleanField(_("deadline extended"), default=False)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    outcome_reason = models.TextField(_("outcome and its reasons"), blank=True)
    refusal_ground = models.CharField(
        _("ground of the refusal"),
        max_length=refusals.CODE_MAX_LENGTH,
        blank=True,
        help_text=_("One of the regime's grounds (requests/refusals.py)."),
    )
    lateness_note = models.TextField(_("why the answer is late"), blank=True)
    no_data_held = models.BooleanField(
        _("no data held about this person"),
        default=False,
        help_text=_("Recorded by the DPO when nobody in the register is this requester."),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["search_text"])
    objects = SubjectRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("subject request")
        verbose_name_plural = _("subject requests")
        ordering = ["due_on", "received_at"]
        permissions = [("report_subjectrequest", _("Can see the subject-request report"))]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "reference"], name="request_reference_unique"
            )
        ]
        # One index per list filter of the triage queue; all lead with the organisation.
        indexes = [
            models.Index(
                fields=["organisation", "status", "due_on"], name="request_org_status_due"
            ),
            models.Index(fields=["organisation", "kind"], name="request_org_kind"),
            models.Index(fields=["assignee", "status"], name="request_assignee_status"),
            models.Index(fields=["organisation", "received_at"], name="request_org_received"),
            models.Index(fields=["status", "closed_at"], name="request_status_closed"),
            models.Index(
                "organisation",
                queue_group(),
                "due_on",
                "received_at",
                name="request_queue_order",
            ),
            # "Assigned to me", in the same order.
            models.Index(
                "assignee",
                queue_group(),
                "due_on",
                "received_at",
                name="request_assignee_queue",
            ),
        ]

    def __str__(self):
        return self.reference or _("New request")

    def save(self, *args, **kwargs):
        # Kept in the register's spelling, so matching finds every way a person wrote them.
        self.requester_fin = normalise_fin(self.requester_fin)
        self.requester_id_document = normalise_id_document(self.requester_id_document)
        self.requester_phone = normalise_phone(self.requester_phone)
        self.requester_email = (self.requester_email or "").strip().lower()
        if self.due_on is None and self.organisation_id and self.received_at:
            # Events can only move it later; recompute_due_on() replays them.
            deadlines.recompute_due_on(self, save=False)
        elif self.regime_version_id is None and self.organisation_id and self.received_at:
            self.regime_version = deadlines.version_for(
                self.organisation.regime, deadlines.local_date(self.received_at)
            )
        if not self.reference:
            year = timezone.localtime(self.received_at).year
            with transaction.atomic():
                self.reference = next_reference(self.organisation_id, year)
                self.search_text = self.search_text_for()
                super().save(*args, **kwargs)
            return
        self.search_text = self.search_text_for()
        super().save(*args, **kwargs)

    def search_text_for(self):
        """The reference and what identifies the requester, as the triage search compares it."""
        phone = normalise_phone(self.requester_phone).lstrip("+")
        local_phone = "0" + phone[3:] if phone.startswith("994") else ""
        parts = [
            self.reference,
            self.requester_name,
            self.requester_email,
            phone,
            local_phone,
            self.requester_fin,
            self.requester_id_document,
        ]
        return " | ".join(fold_for_search(part) for part in parts if part)

    @property
    def refusal_ground_display(self):
        """The ground with its legal reference, from the regime version the request follows."""
        if not self.refusal_ground or self.regime_version is None:
            return ""
        ground = self.regime_version.refusal_ground(self.refusal_ground)
        if ground is None:
            return ""
        return f"{ground.label} ({ground.reference.citation})" if ground.reference else ground.label

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def is_paused(self):
        return self.status == RequestStatus.PAUSED

    @property
    def calendar(self):
        return deadlines.organisation_calendar(self.organisation)

    @property
    def rules(self):
        """What the request's deadlines are counted on: its regime version (the regime's shipped
        figures for a request not yet saved)."""
        return self.regime_version or self.organisation.regime

    @property
    def paused_since(self):
        """The date the clock stopped, while it is stopped."""
        return deadlines.compute_due(
            self.rules,
            deadlines.local_date(self.received_at),
            self.deadline_event_list(),
            self.calendar,
        )[1]

    @property
    def refusal_due_on(self):
        return deadlines.refusal_due(
            self.rules,
            deadlines.local_date(self.received_at),
            self.calendar,
            self.deadline_event_list(),
        )

    @property
    def answered_on_time(self):
        """For a closed request: answered within its deadline (a refusal within its own)."""
        if self.closed_at is None or self.due_on is None:
            return None
        closed_on = deadlines.local_date(self.closed_at)
        if self.status == RequestStatus.REFUSED:
            return closed_on <= self.refusal_due_on
        return closed_on <= self.due_on

    def deadline_event_list(self):
        if not self.pk:
            return []
        return [
            deadlines.Event(e.kind, deadlines.local_date(e.at), e.months)
            for e in self.deadline_events.all()
        ]

    def recompute_due_on(self, save=True):
        return deadlines.recompute_due_on(self, save=save)

    def urgency_on(self, on=None):
        """The urgency of this one request (the list uses the SQL annotation instead)."""
        on = on or timezone.localdate()
        if not self.is_open:
            return Urgency.CLOSED
        if self.is_paused:
            return Urgency.PAUSED
        if self.due_on and self.due_on < on:
            return Urgency.OVERDUE
        limit = self.calendar.add_working_days(on, deadlines.DUE_SOON_WORKING_DAYS)
        if self.due_on and self.due_on <= limit:
            return Urgency.DUE_SOON
        return Urgency.ON_TRACK

    @property
    def kind_offer(self):
        """The version's entry for this request's kind: its reference and plain description."""
        if self.regime_version is None:
            return None
        return self.regime_version.kind_offer(self.kind)

    @property
    def legal_reference(self):
        """Where the right asked for comes from, as the version's data cites it."""
        offer = self.kind_offer
        if offer is not None and offer.reference is not None:
            return offer.reference.citation
        regime = self.organisation.regime if self.organisation_id else Regime.AZERBAIJAN
        return KIND_LEGAL_REFERENCE.get(regime, {}).get(self.kind, "")

    @property
    def requester_scrubbed(self):
        return self.requester_scrubbed_at is not None


class RequestReport(SubjectRequest):
    """The request report's entry in the admin index (a proxy: no table, no rows of its own).
    Reading it takes requests.report_subjectrequest, which Managers hold without any right to
    see a request."""

    class Meta:
        proxy = True
        verbose_name = _("request report")
        verbose_name_plural = _("request report")
        default_permissions = ()


class DeadlineEvent(models.Model):
    """One pause, resume or extension of a request's deadline, kept for good with its reason."""

    class Kind(models.TextChoices):
        PAUSE = "pause", _("Paused: information requested")
        RESUME = "resume", _("Resumed: information received")
        EXTENSION = "extension", _("Extended")
        THIRD_PARTY_EXTENSION = (
            "third_party_extension",
            _("Extended: a third party must supply data"),
        )

    request = models.ForeignKey(
        SubjectRequest,
        on_delete=models.CASCADE,
        related_name="deadline_events",
        verbose_name=_("request"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    months = models.PositiveSmallIntegerField(
        _("months added"), null=True, blank=True, help_text=_("GDPR extensions: 1 or 2.")
    )

    class Meta:
        verbose_name = _("deadline event")
        verbose_name_plural = _("deadline events")
        ordering = ["request", "at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.at:%Y-%m-%d}"


# --- Tasks per system -------------------------------------------------------------------------


class TaskAction(models.TextChoices):
    ERASE = "erase", _("Erase")
    ANONYMISE = "anonymise", _("Anonymise")
    ARCHIVE = "archive", _("Archive")
    RECTIFY = "rectify", _("Rectify")
    EXPORT = "export", _("Export")
    RESTRICT = "restrict", _("Restrict processing")
    STOP_PROCESSING = "stop_processing", _("Stop processing")


# What each kind asks of every system holding the person's records. Kinds that only ask for
# information (existence, legal basis, purposes, sources, protection) need no per-system work:
# the access package answers them from the register and the inventory.
TASK_ACTION_FOR_KIND = {
    RequestKind.DELETION: TaskAction.ERASE,
    RequestKind.ARCHIVING: TaskAction.ARCHIVE,
    RequestKind.CORRECTION: TaskAction.RECTIFY,
    RequestKind.RESTRICTION: TaskAction.RESTRICT,
    RequestKind.OBJECTION: TaskAction.STOP_PROCESSING,
    RequestKind.CONSENT_WITHDRAWAL: TaskAction.STOP_PROCESSING,
    RequestKind.ACCESS: TaskAction.EXPORT,
    RequestKind.PORTABILITY: TaskAction.EXPORT,
}


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    KEPT = "kept", _("Kept, with a reason")


class KeptReason(models.TextChoices):
    LEGAL_HOLD = "legal_hold", _("Under a legal hold")
    AML_CFT = "aml_cft", _("AML/CFT record keeping")
    TAX = "tax", _("Tax records")
    PENDING_CLAIM = "pending_claim", _("Pending claim")
    OTHER = "other", _("Other legal requirement")


class RequestTaskQuerySet(OrganisationQuerySet):
    def open(self):
        return self.filter(status=TaskStatus.OPEN)

    def owned_by(self, user):
        return self.filter(owner=user)

    def pressing(self, on):
        """Open tasks due within 2 days or overdue (the daily reminder's)."""
        return self.open().filter(due_on__lte=on + datetime.timedelta(days=2))


class RequestTask(OrganisationOwned):
    request = models.ForeignKey(
        SubjectRequest, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("request")
    )
    system = models.ForeignKey(
        System, on_delete=models.PROTECT, related_name="request_tasks", verbose_name=_("system")
    )
    action = models.CharField(_("action"), max_length=20, choices=TaskAction.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    kept_reason = models.CharField(
        _("kept because"), max_length=20, choices=KeptReason.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    # What a disposing resolution did, as numbers: letters and pages say it in their language.
    disposed_count = models.PositiveIntegerField(_("records disposed"), default=0)
    held_count = models.PositiveIntegerField(_("records kept under a legal hold"), default=0)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="request_tasks",
        verbose_name=_("owner"),
        help_text=_("The system's owner by default; anyone who may work on requests."),
    )
    due_on = models.DateField(
        _("due on"), null=True, blank=True, help_text=_("Within the request's deadline.")
    )

    history = HistoricalRecords()
    objects = RequestTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("request task")
        verbose_name_plural = _("request tasks")
        ordering = ["request", "system__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "system", "action"], name="request_task_once_per_system"
            ),
            models.CheckConstraint(
                condition=~Q(status=TaskStatus.KEPT) | ~Q(kept_reason=""),
                name="request_task_kept_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"], name="request_task_org_status"),
            models.Index(fields=["owner", "status", "due_on"], name="request_task_owner_due"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} · {self.system_id}"

    def counts_sentence(self):
        """What a disposal did, in the active language ("" when it disposed nothing)."""
        parts = []
        if self.disposed_count:
            parts.append(
                ngettext("%(n)d record disposed", "%(n)d records disposed", self.disposed_count)
                % {"n": self.disposed_count}
            )
        if self.held_count:
            parts.append(
                ngettext(
                    "%(n)d record kept under a legal hold",
                    "%(n)d records kept under a legal hold",
                    self.held_count,
                )
                % {"n": self.held_count}
            )
        return f"{', '.join(parts)}." if parts else ""


# --- Receipts: a system's own account of a task it carried out ------------------------------


class ReceiptSource(models.TextChoices):
    API = "api", _("Integration API")
    CONNECTOR = "connector", _("Database connector")


class ReceiptOutcome(models.TextChoices):
    DONE = "done", _("Done")
    KEPT = "kept", _("Kept, with a reason")


# An export's data travels in the receipt (the access package includes it): bounded, so one
# receipt cannot fill the database.
RECEIPT_EXPORT_MAX_BYTES = 5 * 1024 * 1024


class TaskReceipt(OrganisationOwned):
    """What the system that did the work reports about a task: done or kept, per table the rows
    matched and changed and the statement run, when it acted, and for an export the data itself.
    Evidence: written once by requests.receipts.record_receipt, never edited (save() refuses an
    update, the admin shows it read-only), with a SHA-256 over its canonical content.

    The actor is the system, not a person: ``system`` says who answered and ``details`` how
    (the API token's id, or the connector's server/database and its run's start and end)."""

    task = models.ForeignKey(
        RequestTask, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("task")
    )
    system = models.ForeignKey(
        System, on_delete=models.PROTECT, related_name="task_receipts", verbose_name=_("system")
    )
    source = models.CharField(_("source"), max_length=20, choices=ReceiptSource.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=ReceiptOutcome.choices)
    kept_reason = models.CharField(
        _("kept because"), max_length=20, choices=KeptReason.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    acted_at = models.DateTimeField(_("acted at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    # [{"table": …, "matched": n, "changed": n, "statement": …}]
    tables = models.JSONField(_("tables"), default=list, blank=True)
    export = models.JSONField(_("exported data"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("task receipt")
        verbose_name_plural = _("task receipts")
        ordering = ["task", "received_at", "pk"]
        indexes = [models.Index(fields=["organisation", "system"], name="task_receipt_org_sys")]

    def __str__(self):
        return f"{self.get_outcome_display()} · {self.system_id} · {self.acted_at:%Y-%m-%d}"

    def canonical(self):
        """The receipt's content as one stable string (the hash covers it)."""
        return json.dumps(
            {
                "task": self.task_id,
                "organisation": self.organisation_id,
                "system": self.system_id,
                "source": self.source,
                "outcome": self.outcome,
                "kept_reason": self.kept_reason,
                "note": self.note,
                "acted_at": self.acted_at.astimezone(datetime.UTC).isoformat(),
                "received_at": self.received_at.astimezone(datetime.UTC).isoformat(),
                "tables": self.tables,
                "export": self.export,
                "details": self.details,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            cls=DjangoJSONEncoder,
        )

    def content_hash(self):
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A task receipt is evidence and is never changed.")
        self.sha256 = self.content_hash()
        super().save(*args, **kwargs)


# --- Attachments -----------------------------------------------------------------------------


class AttachmentKind(models.TextChoices):
    APPLICATION = "application", _("Scanned application")
    ID_COPY = "id_copy", _("Copy of the identity document")
    CORRESPONDENCE = "correspondence", _("Correspondence")
    OTHER = "other", _("Other document")


class RequestAttachment(OrganisationOwned):
    """A file that came with a request. The file lives in the private "attachments" storage
    under a random name; its original name is personal data like the rest of what the requester
    sent, so both go when the requester details are scrubbed (the row stays, as a trace that a
    document of this kind and size was once held)."""

    request = models.ForeignKey(
        SubjectRequest,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("request"),
    )
    kind = models.CharField(_("document"), max_length=20, choices=AttachmentKind.choices)
    file_type = models.CharField(_("file type"), max_length=10)
    size = models.PositiveIntegerField(_("size (bytes)"))
    stored_name = models.CharField(_("stored as"), max_length=100, blank=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    removed_at = models.DateTimeField(_("file removed at"), null=True, blank=True)
    message = models.ForeignKey(
        "RequestMessage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("with message"),
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["request", "uploaded_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.file_type}"

    @property
    def is_removed(self):
        return self.removed_at is not None


# --- The conversation with the requester -----------------------------------------------------


class MessageDirection(models.TextChoices):
    TO_PERSON = "to_person", _("To the requester")
    FROM_PERSON = "from_person", _("From the requester")


class RequestMessage(OrganisationOwned):
    """One message of the secure conversation about a request (requests/conversation.py).

    Sent messages are never edited, so they carry no history; their bodies are free text about
    the person: the requester's own go with the requester details, the DPO's are redacted at the
    person's erasure like the other texts staff write (requests/erasure.py). Attachments that came
    with a message are RequestAttachments pointing here."""

    request = models.ForeignKey(
        SubjectRequest, on_delete=models.CASCADE, related_name="messages", verbose_name=_("request")
    )
    direction = models.CharField(_("direction"), max_length=12, choices=MessageDirection.choices)
    body = models.TextField(_("message"))
    via = models.CharField(_("received by"), max_length=20, choices=RequestChannel.choices)
    asks_for_information = models.BooleanField(_("asks for more information"), default=False)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
        help_text=_("Empty for the requester's messages."),
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["request", "sent_at", "pk"]
        indexes = [models.Index(fields=["request", "sent_at"], name="request_message_order")]

    def __str__(self):
        return f"{self.get_direction_display()} · {self.sent_at:%Y-%m-%d %H:%M}"

    @property
    def from_person(self):
        return self.direction == MessageDirection.FROM_PERSON


# --- The privacy centre (requests/public/) ---------------------------------------------------


class WebSubmission(OrganisationOwned):
    """A request sent from the privacy centre. Until its e-mail address is confirmed it holds
    what the person typed (and the stored name of their upload) and is no request at all: it
    enters the triage queue only once verified, and an unverified one is deleted, file and row,
    after PRIVACY_CENTRE["unverified_days"]. Once verified, the request carries the details and
    this row keeps only the hashed secret of the status page and the person's language.

    Tokens, codes and secrets are kept as SHA-256 digests: the row alone opens nothing."""

    PERSONAL_FIELDS = (
        "requester_name",
        "requester_email",
        "requester_phone",
        "requester_fin",
        "requester_id_document",
        "requester_address",
        "details",
        "upload_name",
        "upload_stored_name",
    )

    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    kind = models.CharField(_("kind"), max_length=30, choices=RequestKind.choices)
    requester_name = models.CharField(_("requester's name"), max_length=200, blank=True)
    requester_email = models.EmailField(_("requester's e-mail"), blank=True)
    requester_phone = models.CharField(_("requester's phone"), max_length=30, blank=True)
    requester_fin = models.CharField(_("requester's FIN"), max_length=12, blank=True)
    requester_id_document = models.CharField(
        _("requester's identity document number"), max_length=20, blank=True
    )
    requester_address = models.TextField(_("requester's postal address"), blank=True)
    details = models.TextField(_("what the requester asks"), blank=True)
    upload_kind = models.CharField(
        _("document"), max_length=20, choices=AttachmentKind.choices, blank=True
    )
    upload_name = models.CharField(_("file name"), max_length=255, blank=True)
    upload_stored_name = models.CharField(_("stored as"), max_length=100, blank=True)
    token_digest = models.CharField(_("link token digest"), max_length=64, unique=True)
    code_digest = models.CharField(_("code digest"), max_length=64)
    code_attempts = models.PositiveSmallIntegerField(_("code attempts"), default=0)
    expires_at = models.DateTimeField(_("link valid until"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    secret_digest = models.CharField(_("status secret digest"), max_length=64, blank=True)
    request = models.OneToOneField(
        "SubjectRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="web_submission",
        verbose_name=_("request"),
    )

    class Meta:
        verbose_name = _("privacy centre submission")
        verbose_name_plural = _("privacy centre submissions")
        indexes = [
            # The clean-up's filter: unverified ones by age.
            models.Index(fields=["verified_at", "created_at"], name="web_submission_cleanup"),
        ]

    def __str__(self):
        return f"{self.organisation_id} · {self.kind} · {self.created_at:%Y-%m-%d}"


class PackageLink(OrganisationOwned):
    """The access package offered by an expiring link instead of an attachment: valid until
    ``expires_at`` and for ``max_downloads`` downloads; each download is audited. At expiry the
    file is deleted (the beat task) and the link answers "expired"; the row stays as the trace
    of what was offered and how often it was taken."""

    request = models.ForeignKey(
        "SubjectRequest",
        on_delete=models.CASCADE,
        related_name="package_links",
        verbose_name=_("request"),
    )
    token_digest = models.CharField(_("link token digest"), max_length=64, unique=True)
    stored_name = models.CharField(_("stored as"), max_length=100, blank=True, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256 of the package"), max_length=64, blank=True)
    expires_at = models.DateTimeField(_("valid until"))
    max_downloads = models.PositiveSmallIntegerField(_("downloads allowed"))
    downloads = models.PositiveSmallIntegerField(_("downloads"), default=0)
    last_download_at = models.DateTimeField(_("last downloaded at"), null=True, blank=True)
    file_removed_at = models.DateTimeField(_("file removed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("package download link")
        verbose_name_plural = _("package download links")
        ordering = ["request", "-created_at", "-pk"]
        indexes = [
            models.Index(fields=["file_removed_at", "expires_at"], name="package_link_expiry"),
        ]

    def __str__(self):
        return f"{self.request_id} · {self.expires_at:%Y-%m-%d %H:%M}"

    def usable(self, now=None):
        now = now or timezone.now()
        return (
            self.file_removed_at is None
            and self.expires_at > now
            and self.downloads < self.max_downloads
        )


# --- Letters ----------------------------------------------------------------------------------


class LetterKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement of receipt")
    ANSWER = "answer", _("Answer")


class LetterChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    POST = "post", _("Post")


class DeliveryStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted by the mail server")
    FAILED = "failed", _("Refused by the mail server")


class ResponseLetter(models.Model):
    """A letter as it was sent: the filled template and its PDF are frozen here, so later edits of
    the template or the request do not change what the requester received.

    The addressing block (name, postal or e-mail address, salutation) and the PDF carrying it are
    personal data and go with the requester details; the body stays, with the SHA-256 of the PDF
    that was sent, as the proof of what the person was told.
    """

    request = models.ForeignKey(
        SubjectRequest, on_delete=models.CASCADE, related_name="letters", verbose_name=_("request")
    )
    kind = models.CharField(
        _("letter"), max_length=20, choices=LetterKind.choices, default=LetterKind.ANSWER
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    template = models.CharField(_("template"), max_length=100, blank=True)
    addressee = models.TextField(_("addressed to"), blank=True)
    salutation = models.CharField(_("salutation"), max_length=250, blank=True)
    body = models.TextField(_("text"))
    pdf = models.BinaryField(_("PDF"), null=True, blank=True, editable=False)
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True, editable=False)
    channel = models.CharField(
        _("sent by"), max_length=10, choices=LetterChannel.choices, blank=True
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by user"),
    )
    delivery_status = models.CharField(
        _("delivery"), max_length=10, choices=DeliveryStatus.choices, blank=True
    )
    delivery_detail = models.CharField(_("delivery detail"), max_length=200, blank=True)
    posted_on = models.DateField(_("posted on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # The PDF is kept once, on the live row: history rows need not carry a copy of it.
    history = HistoricalRecords(excluded_fields=["pdf"])

    class Meta:
        verbose_name = _("response letter")
        verbose_name_plural = _("response letters")
        ordering = ["request", "-created_at", "-pk"]

    def __str__(self):
        return f"{self.request} · {self.get_kind_display()} · {self.language}"

    @property
    def is_sent(self):
        return self.delivery_status == DeliveryStatus.ACCEPTED or self.posted_on is not None


class LetterTemplate(OrganisationOwned):
    """An organisation's own wording of a letter, in one language. Without one, the shipped
    template in templates/requests/letters/ is used. The text is a Django template with the same
    context as the shipped ones (request, organisation, tasks, kept_tasks, legal_reference,
    deadline_events, today); it may extend the shipped base letter."""

    KEYS = [(LetterKind.ACKNOWLEDGEMENT.value, LetterKind.ACKNOWLEDGEMENT.label)] + [
        (kind.value, format_lazy("{}: {}", _("Answer"), kind.label)) for kind in RequestKind
    ]

    key = models.CharField(_("letter"), max_length=30, choices=KEYS)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    text = models.TextField(_("template text"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        ordering = ["organisation", "key", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "key", "language"], name="letter_template_once"
            )
        ]

    def __str__(self):
        return f"{self.get_key_display()} · {self.language}"


# The mailbox intake's models live in its own room (requests/mailbox/); imported here so the app
# registry and migrations see them.
from .mailbox.models import (  # noqa: E402, F401
    IncomingMail,
    IncomingMailAttachment,
    Mailbox,
)

# --- E-signed applications (requests/signatures.py) ---------------------------------------


class TrustAnchor(OrganisationOwned):
    """A root certificate the organisation trusts for enhanced e-signatures (seed 000, 8.3): in
    production the national certification services centre's roots. Subject, fingerprint and
    validity are read from the certificate when it is uploaded, never typed."""

    name = models.CharField(_("name"), max_length=200)
    certificate = models.BinaryField(_("certificate (DER)"), editable=False)
    subject = models.CharField(_("certificate subject"), max_length=500, editable=False)
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, editable=False)
    not_before = models.DateTimeField(_("valid from"), editable=False)
    not_after = models.DateTimeField(_("valid until"), editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("added by"),
    )

    class Meta:
        verbose_name = _("e-signature trust anchor")
        verbose_name_plural = _("e-signature trust anchors")
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "fingerprint"], name="trust_anchor_once_per_organisation"
            )
        ]

    def __str__(self):
        return self.name


class SignatureOutcome(models.TextChoices):
    VERIFIED = "verified", _("Signature valid and the signer is the requester")
    UNREADABLE = "unreadable", _("The file is not a readable PDF")
    NOT_SIGNED = "not_signed", _("The PDF carries no electronic signature")
    TAMPERED = "tampered", _("The document was altered: the signature does not match its content")
    MODIFIED = "modified", _("The document was changed after it was signed")
    UNTRUSTED = "untrusted", _("The certificate is not issued by a trusted certification centre")
    EXPIRED = "expired", _("The certificate was not valid when the document was signed")
    REVOKED = "revoked", _("The certificate has been revoked")
    REVOCATION_UNKNOWN = (
        "revocation_unknown",
        _("The certificate's revocation could not be checked"),
    )
    INVALID = "invalid", _("The signature is not valid")
    NO_IDENTIFIER = "no_identifier", _("The certificate carries no FIN")
    NO_REQUESTER_FIN = "no_requester_fin", _("The request has no FIN to compare with")
    FIN_MISMATCH = "fin_mismatch", _("The signer's FIN is not the requester's")


class SignatureValidation(OrganisationOwned):
    """One check of an attached e-signed application: the outcome, what was read from the
    certificate and the validation report, kept with the request as evidence. The signer's name,
    FIN, certificate subject and the report are personal data: they go with the requester
    details."""

    request = models.ForeignKey(
        SubjectRequest,
        on_delete=models.PROTECT,
        related_name="signature_validations",
        verbose_name=_("request"),
    )
    attachment = models.ForeignKey(
        RequestAttachment,
        on_delete=models.PROTECT,
        related_name="signature_validations",
        verbose_name=_("attachment"),
    )
    outcome = models.CharField(_("outcome"), max_length=30, choices=SignatureOutcome.choices)
    validated_at = models.DateTimeField(_("checked at"), default=timezone.now)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    signer_name = models.CharField(_("signer's name"), max_length=300, blank=True)
    signer_fin = models.CharField(_("signer's FIN"), max_length=7, blank=True)
    certificate_subject = models.CharField(_("certificate subject"), max_length=1000, blank=True)
    certificate_issuer = models.CharField(_("certificate issuer"), max_length=1000, blank=True)
    certificate_fingerprint = models.CharField(
        _("certificate fingerprint"), max_length=64, blank=True
    )
    trust_anchor = models.CharField(_("trust anchor"), max_length=1000, blank=True)
    signed_at = models.DateTimeField(_("signed at (as the signer reports)"), null=True, blank=True)
    report = models.TextField(_("validation report"), blank=True)

    class Meta:
        verbose_name = _("e-signature check")
        verbose_name_plural = _("e-signature checks")
        ordering = ["request", "validated_at", "pk"]

    def __str__(self):
        return self.get_outcome_display()

    @property
    def verified(self):
        return self.outcome == SignatureOutcome.VERIFIED
