"""The shared vocabulary of the portal: who the controller is, who works for it, and what personal
data it holds where. Every other app builds on these models and never the other way round."""

import datetime
import re
import time

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from dpo_portal.legal.models import RegistrationRule

# --- Roles and regimes ------------------------------------------------------------------------


class Role(models.TextChoices):
    DPO = "dpo", _("DPO")
    COMPLIANCE = "compliance", _("Compliance officer")
    MANAGER = "manager", _("Manager")
    AUDITOR = "auditor", _("Auditor")


class Regime(models.TextChoices):
    AZERBAIJAN = "az", _("Azerbaijan: Law on Personal Data (998-IIIQ)")
    GDPR = "gdpr", _("EU: General Data Protection Regulation")


# --- Validators -------------------------------------------------------------------------------

# FIN (fərdi identifikasiya nömrəsi): 7 characters, digits and Latin capitals without I and O,
# which the state register leaves out because they read like 1 and 0.
FIN_RE = re.compile(r"^[0-9A-HJ-NP-Z]{7}$")
# Identity documents: the ID card (AZE + 8 digits, or the older AA + 7 digits), and the
# passport (C + 8 digits).
ID_DOCUMENT_RE = re.compile(r"^(AZE\d{8}|AA\d{7}|C\d{8})$")

validate_tax_id = RegexValidator(r"^\d{10}$", _("A VÖEN has exactly 10 digits."))


def normalise_fin(value):
    return (value or "").strip().upper()


def validate_fin(value):
    if not FIN_RE.match(normalise_fin(value)):
        raise ValidationError(
            _(
                "A FIN has 7 characters: digits and Latin letters other than I and O "
                "(for example 5ZK8R2T)."
            ),
            code="invalid_fin",
        )


def normalise_id_document(value):
    return re.sub(r"[\s-]", "", (value or "")).upper()


def validate_id_document(value):
    if not ID_DOCUMENT_RE.match(normalise_id_document(value)):
        raise ValidationError(
            _(
                "An identity document number is AZE and 8 digits, AA and 7 digits "
                "(ID card) or C and 8 digits (passport)."
            ),
            code="invalid_id_document",
        )


def normalise_phone(value):
    """Phones are kept as +994XXXXXXXXX so that search by phone finds every spelling."""
    digits = re.sub(r"\D", "", value or "")
    if not digits:
        return ""
    if digits.startswith("994"):
        return "+" + digits
    if digits.startswith("0") and len(digits) == 10:
        return "+994" + digits[1:]
    if len(digits) == 9:
        return "+994" + digits
    return "+" + digits


# The formats, shown next to the fields that take them (the register's and the requests').
FIN_HELP = _("7 characters: digits and Latin letters other than I and O, e.g. 5ZK8R2T.")
ID_DOCUMENT_HELP = _("AZE12345678 or AA1234567 (ID card), C12345678 (passport).")
PHONE_HELP = _("With or without the country code, e.g. +994 50 123 45 67 or 050 123 45 67.")

PHONE_DIGITS_RANGE = (10, 15)  # E.164: at most 15 digits, a country code and a number


def validate_phone(value):
    digits = normalise_phone(value)[1:]
    if (
        not value
        or not (PHONE_DIGITS_RANGE[0] <= len(digits) <= PHONE_DIGITS_RANGE[1])
        or (re.search(r"[^\d\s()+.\-]", value))
    ):
        raise ValidationError(
            _(
                "A phone number has digits only (spaces, dashes and brackets allowed), "
                "for example +994 50 123 45 67 or 050 123 45 67."
            ),
            code="invalid_phone",
        )


# Azerbaijani letters and the Latin letters people type for them when they have no az keyboard.
_FOLD = str.maketrans(
    {"ə": "e", "ı": "i", "ş": "s", "ç": "c", "ğ": "g", "ö": "o", "ü": "u", "\u0307": None}
)


def fold_for_search(value):
    """Lower case with the Azerbaijani letters folded onto their look-alikes: "Şəfiyev" and
    "Sefiyev" both read "sefiyev". (İ and I both fold to i, whatever the locale's casing.)"""
    value = (value or "").replace("İ", "i").replace("I", "i")
    return value.lower().translate(_FOLD)


# --- Organisations and their people -----------------------------------------------------------


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("short code"),
        unique=True,
        help_text=_("Used in import files and references, e.g. allall."),
    )
    legal_form = models.CharField(_("legal form"), max_length=50, blank=True)
    tax_id = models.CharField(
        _("tax id (VÖEN)"), max_length=10, blank=True, validators=[validate_tax_id]
    )
    address = models.TextField(_("address"), blank=True)
    dpo_name = models.CharField(_("DPO contact name"), max_length=200, blank=True)
    dpo_email = models.EmailField(_("DPO contact e-mail"), blank=True)
    dpo_phone = models.CharField(_("DPO contact phone"), max_length=30, blank=True)
    regime = models.CharField(
        _("legal regime"), max_length=10, choices=Regime.choices, default=Regime.AZERBAIJAN
    )
    languages = models.CharField(
        _("languages"),
        max_length=50,
        default="az",
        help_text=_("Language codes of notices and letters, comma separated, e.g. az,en."),
    )
    country = CountryField(_("country"), default="AZ")
    four_eyes = models.BooleanField(
        _("four eyes on irreversible steps"),
        default=False,
        help_text=_(
            "Approving a disposal batch, completing an erasure that disposes records and "
            "releasing a legal hold then need a second DPO's confirmation."
        ),
    )
    second_factor_for_all_staff = models.BooleanField(
        _("second factor for every member"),
        default=False,
        help_text=_(
            "DPOs, compliance officers and superusers always sign in with a second factor; "
            "tick to require it of managers and auditors too."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        indexes = [models.Index(fields=["regime"])]

    def __str__(self):
        return self.name

    @property
    def language_list(self):
        return [code.strip() for code in self.languages.split(",") if code.strip()]


class Membership(models.Model):
    """A user's role in one organisation. A user sees only the organisations they belong to."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="one_membership_per_user_and_organisation"
            )
        ]
        indexes = [models.Index(fields=["organisation", "role"])]

    def __str__(self):
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        from .roles import sync_user_groups

        sync_user_groups(self.user)

    def delete(self, *args, **kwargs):
        user = self.user
        result = super().delete(*args, **kwargs)
        from .roles import sync_user_groups

        sync_user_groups(user)
        return result


class OrganisationQuerySet(models.QuerySet):
    def for_user(self, user, perm="view"):
        """Rows of the organisations where the user's role grants ``perm`` on this model.

        ``perm`` is an action (view, add, change, delete) or a full "app_label.codename".
        """
        from .roles import organisation_ids_for

        if "." not in perm:
            perm = f"{self.model._meta.app_label}.{perm}_{self.model._meta.model_name}"
        if user.is_superuser:
            return self
        return self.filter(organisation_id__in=organisation_ids_for(user, perm))


class OrganisationOwned(models.Model):
    """Base of every record that belongs to one organisation (the controller)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        abstract = True


class CodedEntry(OrganisationOwned):
    """A named entry of an organisation's register with a short code that import files use."""

    code = models.SlugField(
        _("code"), max_length=60, help_text=_("Unique within the organisation; used by imports.")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        abstract = True
        ordering = ["organisation", "name"]

    def __str__(self):
        return self.name


def unique_code_per_organisation(model_name):
    return models.UniqueConstraint(
        fields=["organisation", "code"], name=f"{model_name}_code_unique_per_organisation"
    )


# --- What data, about whom, from where --------------------------------------------------------


class Sensitivity(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    IDENTIFIER = "identifier", _("Identifier")
    FINANCIAL = "financial", _("Financial")
    SPECIAL = "special", _("Special category")
    BIOMETRIC = "biometric", _("Biometric")


class DataCategoryQuerySet(OrganisationQuerySet):
    def unused(self):
        """Categories the register never uses: held in no system, received by no recipient,
        and with no sub-categories (the register-completeness panel and list filter)."""
        return self.filter(systems__isnull=True, recipients__isnull=True, children__isnull=True)


class DataCategory(CodedEntry):
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    sensitivity = models.CharField(
        _("sensitivity"), max_length=20, choices=Sensitivity.choices, default=Sensitivity.ORDINARY
    )
    examples = models.TextField(_("examples"), blank=True)

    history = HistoricalRecords()
    objects = DataCategoryQuerySet.as_manager()

    class Meta(CodedEntry.Meta):
        verbose_name = _("data category")
        verbose_name_plural = _("data categories")
        constraints = [unique_code_per_organisation("datacategory")]
        indexes = [models.Index(fields=["organisation", "sensitivity"])]

    def clean(self):
        super().clean()
        ancestor, seen = self.parent, set()
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None or ancestor.pk in seen:
                raise ValidationError({"parent": _("A category cannot be its own ancestor.")})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent

    @property
    def is_special(self):
        return self.sensitivity in {Sensitivity.SPECIAL, Sensitivity.BIOMETRIC}


class SubjectType(CodedEntry):
    history = HistoricalRecords()

    class Meta(CodedEntry.Meta):
        verbose_name = _("subject type")
        verbose_name_plural = _("subject types")
        constraints = [unique_code_per_organisation("subjecttype")]


class SourceKind(models.TextChoices):
    SUBJECT = "subject", _("The data subject directly")
    CREDIT_BUREAU = "credit_bureau", _("Credit information bureau")
    STATE_SYSTEM = "state_system", _("State information system or agency")
    THIRD_PARTY_CONTRACT = "third_party_contract", _("Contract with a third party")
    DEBT_COLLECTION = "debt_collection", _("Debt-collection provider")
    SCREENING = "screening", _("Anti-fraud, AML/CFT screening")
    REMOTE_IDENTIFICATION = "remote_identification", _("Remote identification")
    COOKIES = "cookies", _("Cookies and device data")
    PUBLIC = "public", _("Publicly available data")
    OTHER = "other", _("Other")


class Source(CodedEntry):
    kind = models.CharField(_("kind"), max_length=30, choices=SourceKind.choices)

    history = HistoricalRecords()

    class Meta(CodedEntry.Meta):
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [unique_code_per_organisation("source")]
        indexes = [models.Index(fields=["organisation", "kind"])]


# Azerbaijan: an information system holding data on this many subjects or more must be entered
# in the state register within so many days of its creation. The rule is data the DPO keeps
# (legal.RegistrationRule); these are its shipped figures, used when no rule is recorded.
REGISTRATION_THRESHOLD = 1000
REGISTRATION_DEADLINE_DAYS = 20
_RULE_TTL_SECONDS = 60
_rule_cache = {}


def registration_rule(country="AZ"):
    """The state registration rule of ``country`` (None when none is recorded). Read at most
    once a minute per process: a list of systems asks for it on every row, and an edit in the
    admin reaches every worker within that minute."""
    now = time.monotonic()
    cached = _rule_cache.get(country)
    if cached is None or now - cached[0] > _RULE_TTL_SECONDS:
        rule = (
            RegistrationRule.objects.filter(country=country)
            .select_related("filing_reference", "fine_reference")
            .first()
        )
        cached = _rule_cache[country] = (now, rule)
    return cached[1]


@receiver([post_save, post_delete], sender=RegistrationRule)
def _forget_registration_rule(**kwargs):
    # This process sees its own edit at once; the others within the minute.
    _rule_cache.clear()


def registration_threshold():
    rule = registration_rule()
    return rule.subject_threshold if rule else REGISTRATION_THRESHOLD


class SystemQuerySet(OrganisationQuerySet):
    def needing_registration(self):
        return self.filter(subject_count__gte=registration_threshold(), registration_number="")


class System(CodedEntry):
    owner = models.CharField(
        _("owner"),
        max_length=200,
        blank=True,
        help_text=_("The person or unit answerable for the system."),
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_systems",
        verbose_name=_("owner's portal account"),
        help_text=_(
            "The member who carries out the requests' tasks in this system (erasing, "
            "correcting, exporting); a task can be given to someone else."
        ),
    )
    hosting_country = CountryField(_("hosting country"), default="AZ")
    categories = models.ManyToManyField(
        DataCategory, blank=True, related_name="systems", verbose_name=_("data categories held")
    )
    subject_count = models.PositiveIntegerField(_("number of data subjects"), default=0)
    created_on = models.DateField(_("in use since"), null=True, blank=True)
    registration_number = models.CharField(
        _("state registration number"), max_length=50, blank=True
    )
    registration_date = models.DateField(_("state registration date"), null=True, blank=True)

    history = HistoricalRecords(m2m_fields=[categories])
    objects = SystemQuerySet.as_manager()

    class Meta(CodedEntry.Meta):
        verbose_name = _("system")
        verbose_name_plural = _("systems")
        constraints = [unique_code_per_organisation("system")]
        indexes = [
            models.Index(fields=["organisation", "registration_number"]),
            models.Index(fields=["organisation", "hosting_country"]),
        ]

    def clean(self):
        super().clean()
        if self.registration_date and not self.registration_number:
            raise ValidationError(
                {"registration_number": _("A registration date needs its registration number.")}
            )
        if (
            self.owner_user_id
            and self.organisation_id
            and not self.owner_user.is_superuser
            and not Membership.objects.filter(
                user_id=self.owner_user_id, organisation_id=self.organisation_id
            ).exists()
        ):
            raise ValidationError(
                {"owner_user": _("The owner must be a member of the system's organisation.")}
            )

    @property
    def needs_registration(self):
        return self.subject_count >= registration_threshold() and not self.registration_number

    @property
    def registration_due_on(self):
        if self.created_on is None:
            return None
        rule = registration_rule()
        days = rule.days_to_file if rule else REGISTRATION_DEADLINE_DAYS
        return self.created_on + datetime.timedelta(days=days)

    @property
    def registration_warning(self):
        """What the law asks of this system and where it says so; empty when nothing."""
        if not self.needs_registration:
            return ""
        rule = registration_rule()
        if rule is None:
            return _("State registration required (1,000+ subjects) but missing.")
        return _(
            "State registration required for %(threshold)s+ subjects, within %(days)d days of "
            "the system's creation (%(filing)s); processing in an unregistered system: a fine of "
            "AZN %(min)d–%(max)d (%(fine)s)."
        ) % {
            "threshold": f"{rule.subject_threshold:,}",
            "days": rule.days_to_file,
            "filing": rule.filing_reference or "—",
            "min": rule.fine_min_azn,
            "max": rule.fine_max_azn,
            "fine": rule.fine_reference or "—",
        }


class RecipientCategory(models.TextChoices):
    EMPLOYEES = "employees", _("Employees and officers")
    SERVICE_PROVIDER = "service_provider", _("Service provider or processor")
    STATE_BODY = "state_body", _("Competent state body")
    CREDIT_BUREAU = "credit_bureau", _("Credit bureau or debt collector")
    LAW_ENFORCEMENT = "law_enforcement", _("Law-enforcement body")
    PARTNER = "partner", _("Business partner")
    OTHER = "other", _("Other entitled recipient")


class RecipientRole(models.TextChoices):
    PROCESSOR = "processor", _("Processor")
    CONTROLLER = "controller", _("Controller")
    JOINT_CONTROLLER = "joint_controller", _("Joint controller")
    AUTHORITY = "authority", _("Public authority")


HOME_COUNTRY = "AZ"


class TransferMechanism(models.TextChoices):
    ADEQUACY = "adequacy", _("Adequate protection in the destination country")
    CONSENT = "consent", _("The data subject's consent")
    CONTRACT_CLAUSES = "contract_clauses", _("Contract clauses with data-protection guarantees")
    OTHER = "other", _("Other legal ground")


class RecipientQuerySet(OrganisationQuerySet):
    def review_overdue(self, on=None):
        """Due before ``on``: a review due today is not overdue yet."""
        on = on or timezone.localdate()
        return self.filter(next_review_due__lt=on)

    def contract_expiring(self, on=None, within_days=60):
        """Contracts ending between ``on`` and ``on + within_days``, both days included."""
        on = on or timezone.localdate()
        return self.filter(
            contract_expires_on__gte=on,
            contract_expires_on__lte=on + datetime.timedelta(days=within_days),
        )

    def contract_expired(self, on=None):
        on = on or timezone.localdate()
        return self.filter(contract_expires_on__lt=on)

    def abroad(self):
        """Based outside Azerbaijan, or receiving data in another country."""
        transfers_out = RecipientTransfer.objects.filter(recipient=OuterRef("pk")).exclude(
            country=HOME_COUNTRY
        )
        return self.filter(~Q(country=HOME_COUNTRY) | Exists(transfers_out))

    def with_transfer_gap(self):
        """Annotate ``lacks_transfer_mechanism``: data leaves Azerbaijan with no mechanism."""
        return self.annotate(lacks_transfer_mechanism=_transfer_gap())

    def abroad_without_mechanism(self):
        """Recipients whose data goes abroad with no transfer mechanism recorded: a transfer
        abroad without one, or a recipient based abroad with no covered transfer to its own
        country."""
        return self.filter(_transfer_gap())

    def without_contract(self):
        return self.filter(Q(contract_reference="") | Q(contract_signed_on__isnull=True))


def _transfer_gap():
    uncovered_transfer = RecipientTransfer.objects.filter(
        recipient=OuterRef("pk"), mechanism=""
    ).exclude(country=HOME_COUNTRY)
    covered_home = RecipientTransfer.objects.filter(
        recipient=OuterRef("pk"), country=OuterRef("country")
    ).exclude(mechanism="")
    return Q(Exists(uncovered_transfer)) | (~Q(country=HOME_COUNTRY) & ~Q(Exists(covered_home)))


def next_review_after(reviewed_on, interval_months):
    """The same day ``interval_months`` later; from a month end to the shorter month's last day
    (31 January + 1 month = 28 or 29 February), never spilling into the month after."""
    return reviewed_on + relativedelta(months=interval_months)


class Recipient(CodedEntry):
    category = models.CharField(_("category"), max_length=30, choices=RecipientCategory.choices)
    role = models.CharField(_("role"), max_length=30, choices=RecipientRole.choices)
    country = CountryField(_("country"), default=HOME_COUNTRY)
    contact = models.TextField(_("contact"), blank=True)
    contract_reference = models.CharField(
        _("contract or DPA reference"), max_length=200, blank=True
    )
    contract_signed_on = models.DateField(_("contract signed on"), null=True, blank=True)
    contract_expires_on = models.DateField(_("contract expires on"), null=True, blank=True)
    review_interval_months = models.PositiveSmallIntegerField(
        _("review interval (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    last_reviewed_on = models.DateField(_("last reviewed on"), null=True, blank=True)
    next_review_due = models.DateField(_("next review due"), null=True, blank=True)
    categories = models.ManyToManyField(
        DataCategory, blank=True, related_name="recipients", verbose_name=_("data categories")
    )

    history = HistoricalRecords(m2m_fields=[categories])
    objects = RecipientQuerySet.as_manager()

    class Meta(CodedEntry.Meta):
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        constraints = [unique_code_per_organisation("recipient")]
        indexes = [
            models.Index(fields=["organisation", "next_review_due"]),
            models.Index(fields=["organisation", "contract_expires_on"]),
            models.Index(fields=["organisation", "category"]),
            models.Index(fields=["organisation", "country"]),
            models.Index(fields=["organisation", "role"], name="recipient_org_role"),
            # The "never reviewed" and "no contract" filters.
            models.Index(
                fields=["organisation", "last_reviewed_on"], name="recipient_org_reviewed"
            ),
            models.Index(
                fields=["organisation", "contract_reference"], name="recipient_org_contract_ref"
            ),
            models.Index(
                fields=["organisation", "contract_signed_on"], name="recipient_org_contract_signed"
            ),
        ]

    def clean(self):
        super().clean()
        if (
            self.contract_signed_on
            and self.contract_expires_on
            and self.contract_expires_on < self.contract_signed_on
        ):
            raise ValidationError(
                {"contract_expires_on": _("The contract cannot expire before it was signed.")}
            )

    @property
    def is_abroad(self):
        return bool(self.country) and self.country.code != HOME_COUNTRY

    @property
    def has_transfer_gap(self):
        """Uses the ``with_transfer_gap()`` annotation when present (lists), else one query."""
        if hasattr(self, "lacks_transfer_mechanism"):
            return self.lacks_transfer_mechanism
        if self.pk is None:
            return self.is_abroad
        return Recipient.objects.filter(pk=self.pk).abroad_without_mechanism().exists()

    def review_due_after(self, reviewed_on):
        return next_review_after(reviewed_on, self.review_interval_months)


class RecipientTransfer(models.Model):
    """Data sent to a recipient in one country, and the legal mechanism that allows it."""

    recipient = models.ForeignKey(
        Recipient, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("recipient")
    )
    country = CountryField(_("destination country"))
    mechanism = models.CharField(
        _("transfer mechanism"),
        max_length=30,
        choices=TransferMechanism.choices,
        blank=True,
        help_text=_("Leave empty while none is established: the recipient is then flagged."),
    )
    evidence = models.TextField(
        _("evidence"),
        blank=True,
        help_text=_("Where the mechanism is documented, e.g. contract clause, consent form."),
    )
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("transfer abroad")
        verbose_name_plural = _("transfers abroad")
        ordering = ["recipient", "country"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "country"], name="one_transfer_per_recipient_and_country"
            )
        ]
        indexes = [models.Index(fields=["recipient", "mechanism"], name="transfer_mechanism")]

    def __str__(self):
        return f"{self.recipient} → {self.country.name}"

    def clean(self):
        super().clean()
        if self.country == HOME_COUNTRY:
            raise ValidationError(
                {"country": _("A transfer abroad goes to a country other than Azerbaijan.")}
            )
        if self.mechanism and self.mechanism != TransferMechanism.ADEQUACY and not self.evidence:
            raise ValidationError(
                {"evidence": _("Say where this mechanism is documented.")}, code="no_evidence"
            )


class RecipientReview(models.Model):
    """One periodic review of a recipient. Reviews are only ever added, so all of them stay."""

    recipient = models.ForeignKey(
        Recipient, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("recipient")
    )
    reviewed_on = models.DateField(_("reviewed on"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    note = models.TextField(_("note"), blank=True)
    contract_in_place = models.BooleanField(_("contract in place"), default=False)
    security_measures_checked = models.BooleanField(_("security measures checked"), default=False)
    sub_processors_known = models.BooleanField(_("sub-processors known"), default=False)
    transfer_mechanism_valid = models.BooleanField(_("transfer mechanism valid"), default=False)
    next_review_due = models.DateField(_("next review due"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    CHECKLIST = (
        "contract_in_place",
        "security_measures_checked",
        "sub_processors_known",
        "transfer_mechanism_valid",
    )

    class Meta:
        verbose_name = _("recipient review")
        verbose_name_plural = _("recipient reviews")
        ordering = ["-reviewed_on", "-pk"]
        indexes = [models.Index(fields=["recipient", "-reviewed_on"], name="review_recipient_on")]

    def __str__(self):
        return f"{self.recipient} · {self.reviewed_on}"

    @property
    def checklist_complete(self):
        return all(getattr(self, name) for name in self.CHECKLIST)


class DisclosureQuerySet(OrganisationQuerySet):
    def about(self, subject):
        """The disclosures that named this person (for their page and their access package)."""
        return self.filter(organisation_id=subject.organisation_id, subjects=subject)


class Disclosure(OrganisationOwned):
    """A one-off disclosure to a state or law-enforcement body, answering its request."""

    disclosed_on = models.DateField(_("disclosed on"))
    recipient = models.ForeignKey(
        Recipient,
        on_delete=models.PROTECT,
        related_name="disclosures",
        verbose_name=_("body"),
        limit_choices_to={
            "category__in": [RecipientCategory.STATE_BODY, RecipientCategory.LAW_ENFORCEMENT]
        },
    )
    legal_basis = models.CharField(
        _("legal basis"),
        max_length=300,
        help_text=_("The law and article that oblige the disclosure."),
    )
    request_reference = models.CharField(_("request reference"), max_length=100)
    subjects = models.ManyToManyField(
        "DataSubject", related_name="disclosures", verbose_name=_("data subjects")
    )
    categories = models.ManyToManyField(
        DataCategory, related_name="disclosures", verbose_name=_("data categories disclosed")
    )
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords(m2m_fields=[subjects, categories])
    objects = DisclosureQuerySet.as_manager()

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosure log")
        ordering = ["-disclosed_on", "-pk"]
        indexes = [models.Index(fields=["organisation", "-disclosed_on"], name="disclosure_org_on")]

    def __str__(self):
        return f"{self.disclosed_on} · {self.recipient} · {self.request_reference}"


# --- The people the data is about -------------------------------------------------------------


def normalise_email(value):
    return (value or "").strip().lower()


# How DataSubject stores each identifier, so that a lookup by any spelling finds the person (the
# connector sync matches source values through these too).
IDENTIFIER_NORMALISERS = {
    "fin": normalise_fin,
    "id_document_number": normalise_id_document,
    "phone": normalise_phone,
    "email": normalise_email,
}


class DataSubjectQuerySet(OrganisationQuerySet):
    def active(self):
        return self.filter(erased_at__isnull=True)


class DataSubject(OrganisationOwned):
    """A person whose data the organisation holds. Erasure scrubs every personal field here and in
    the history, and leaves a keyed hash of the identifiers on the suppression list."""

    PERSONAL_FIELDS = (
        "external_ref",
        "first_name",
        "last_name",
        "patronymic",
        "birth_date",
        "fin",
        "id_document_number",
        "phone",
        "email",
        "address",
    )

    external_ref = models.CharField(
        _("reference in the organisation's systems"), max_length=100, blank=True
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    fin = models.CharField(
        _("FIN"), max_length=7, blank=True, validators=[validate_fin], help_text=FIN_HELP
    )
    id_document_number = models.CharField(
        _("identity document number"),
        max_length=20,
        blank=True,
        validators=[validate_id_document],
        help_text=ID_DOCUMENT_HELP,
    )
    phone = models.CharField(
        _("phone"), max_length=20, blank=True, validators=[validate_phone], help_text=PHONE_HELP
    )
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.TextField(_("address"), blank=True)
    subject_type = models.ForeignKey(
        SubjectType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subjects",
        verbose_name=_("subject type"),
    )
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True, editable=False)

    history = HistoricalRecords()
    objects = DataSubjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("data subject")
        verbose_name_plural = _("data subjects")
        ordering = ["organisation", "last_name", "first_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_ref"],
                condition=~Q(external_ref=""),
                name="datasubject_external_ref_unique_per_organisation",
            )
        ]
        # One index per way DPO staff look a person up; all start with the organisation,
        # because every list is scoped to it.
        indexes = [
            models.Index(fields=["organisation", "fin"], name="subject_org_fin"),
            models.Index(fields=["organisation", "phone"], name="subject_org_phone"),
            models.Index(fields=["organisation", "email"], name="subject_org_email"),
            models.Index(fields=["organisation", "last_name"], name="subject_org_last_name"),
            models.Index(
                fields=["organisation", "id_document_number"], name="subject_org_id_document"
            ),
        ]

    def __str__(self):
        if self.erased_at:
            return _("Erased subject #%(pk)s") % {"pk": self.pk}
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or self.external_ref or _("Subject #%(pk)s") % {"pk": self.pk}

    def save(self, *args, **kwargs):
        # Normalise here too, so rows written outside forms are searchable the same way.
        self.normalise()
        super().save(*args, **kwargs)

    def normalise(self):
        """The identifiers as they are stored and searched, whatever their spelling."""
        for name, normaliser in IDENTIFIER_NORMALISERS.items():
            setattr(self, name, normaliser(getattr(self, name)))

    @staticmethod
    def suppressed_error():
        return ValidationError(
            _(
                "This person's data was erased and is on the suppression list: "
                "they cannot be added again."
            ),
            code="suppressed",
        )

    def clean(self):
        super().clean()
        self.normalise()
        if self.organisation_id and not self.is_erased:
            from .services import is_suppressed

            if is_suppressed(self):
                raise self.suppressed_error()

    @property
    def is_erased(self):
        return self.erased_at is not None


class SuppressionEntry(OrganisationOwned):
    """A keyed hash of an erased person's identifier. An import that brings the same identifier
    back is refused; the hash cannot be turned back into the identifier without the key."""

    class Kind(models.TextChoices):
        EXTERNAL_REF = "external_ref", _("reference")
        FIN = "fin", _("FIN")
        ID_DOCUMENT = "id_document", _("identity document")
        EMAIL = "email", _("e-mail")
        PHONE = "phone", _("phone")

    kind = models.CharField(_("identifier kind"), max_length=20, choices=Kind.choices)
    digest = models.CharField(_("keyed hash"), max_length=64)

    class Meta:
        verbose_name = _("suppression entry")
        verbose_name_plural = _("suppression list")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "digest"], name="suppression_unique_digest"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"
