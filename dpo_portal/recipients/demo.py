"""Demo data of the recipient register on top of the register demo's recipients: transfers
abroad (one covered by contract clauses, one still without a mechanism, so the flag shows), a
review history behind every recipient's last review, and a few disclosures to state bodies.

Run by load_demo after the register's demo (INSTALLED_APPS order); idempotent: adds nothing when
transfers exist already.
"""

import datetime
import random

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.utils import timezone

from dpo_portal.register.models import (
    DataCategory,
    DataSubject,
    Disclosure,
    Organisation,
    Recipient,
    RecipientReview,
    RecipientTransfer,
    TransferMechanism,
)

# (organisation slug, recipient code, country, mechanism, evidence, note)
TRANSFERS = [
    ("allall", "cloud-backup", "DE", TransferMechanism.CONTRACT_CLAUSES,
     "DPA-2025-02, annex 3: data-protection clauses of the transfer", "Encrypted backups only."),
    ("qonshu", "tech-support", "TR", "", "",
     "Remote support from the partner's office abroad; the transfer clauses are being agreed."),
]  # fmt: skip

# Who signs the demo reviews in each organisation.
REVIEWERS = {"allall": "demo-compliance", "qonshu": "demo-dpo-both"}

REVIEW_NOTES = [
    "Contract and security annex checked; no change.",
    "Sub-processor list received and filed.",
    "Asked for the latest penetration-test summary.",
    "Access rights of the recipient's staff re-checked.",
]

# (organisation slug, body code, days ago, legal basis, request reference, category codes,
#  number of subjects)
DISCLOSURES = [
    ("allall", "state-bodies", 40, "Tax Code of the Republic of Azerbaijan (written request of "
     "the tax authority)", "VX-2026/1183", ["identity", "financial"], 1),
    ("allall", "state-bodies", 12, "Law on the Prevention of the Legalisation of Criminally "
     "Obtained Property and the Financing of Terrorism (financial monitoring request)",
     "MMX-2026/0415", ["identity", "identity-fin", "financial"], 2),
    ("qonshu", "law-enforcement", 25, "Criminal Procedure Code of the Republic of Azerbaijan "
     "(investigator's written request); privacy policy 6.3", "CI-2026/77",
     ["personal", "identity-data", "electronic"], 1),
]  # fmt: skip


def _reviews(organisation, reviewer):
    """Two reviews behind every recipient reviewed: the last one and the one before it."""
    rows = []
    recipients = (
        Recipient.objects.filter(organisation=organisation, last_reviewed_on__isnull=False)
        .with_transfer_gap()
        .order_by("code")
    )
    for recipient in recipients:
        interval = relativedelta(months=recipient.review_interval_months)
        earlier = recipient.last_reviewed_on - interval
        for reviewed_on, next_due in [
            (earlier, recipient.last_reviewed_on),
            (recipient.last_reviewed_on, recipient.next_review_due),
        ]:
            rows.append(
                RecipientReview(
                    recipient=recipient,
                    reviewed_on=reviewed_on,
                    reviewed_by=reviewer,
                    note=random.choice(REVIEW_NOTES),
                    contract_in_place=bool(recipient.contract_reference),
                    security_measures_checked=True,
                    sub_processors_known=random.random() < 0.7,
                    transfer_mechanism_valid=not recipient.lacks_transfer_mechanism,
                    next_review_due=next_due,
                )
            )
    RecipientReview.objects.bulk_create(rows)
    return len(rows)


def load(stdout, subjects_per_organisation=None):
    if RecipientTransfer.objects.filter(recipient__organisation__slug="allall").exists():
        stdout.write("Recipients: transfers, reviews and disclosures exist already, nothing added.")
        return
    organisations = Organisation.objects.in_bulk(["allall", "qonshu"], field_name="slug")
    if len(organisations) < 2:
        return
    users = get_user_model().objects.in_bulk(REVIEWERS.values(), field_name="username")
    for slug, code, country, mechanism, evidence, note in TRANSFERS:
        RecipientTransfer.objects.create(
            recipient=Recipient.objects.get(organisation=organisations[slug], code=code),
            country=country,
            mechanism=mechanism,
            evidence=evidence,
            note=note,
        )
    reviews = sum(
        _reviews(organisations[slug], users.get(username)) for slug, username in REVIEWERS.items()
    )
    today = timezone.localdate()
    for slug, body, days_ago, basis, reference, category_codes, count in DISCLOSURES:
        organisation = organisations[slug]
        disclosure = Disclosure.objects.create(
            organisation=organisation,
            disclosed_on=today - datetime.timedelta(days=days_ago),
            recipient=Recipient.objects.get(organisation=organisation, code=body),
            legal_basis=basis,
            request_reference=reference,
        )
        candidates = list(
            DataSubject.objects.filter(organisation=organisation)
            .order_by("pk")
            .values_list("pk", flat=True)[:500]
        )
        disclosure.subjects.set(random.sample(candidates, min(count, len(candidates))))
        disclosure.categories.set(
            DataCategory.objects.filter(organisation=organisation, code__in=category_codes)
        )
    stdout.write(
        f"Recipients: {len(TRANSFERS)} transfers abroad, {reviews} reviews, "
        f"{len(DISCLOSURES)} disclosures."
    )
