"""Demo retention data: the rules drawn from the legal references of both policies, the record
inventory of the synthetic subjects across both organisations' systems, and an AML legal hold.

The records are spread over the last twelve years, with relationships ended and accounts closed
at random, so the first sweep finds records due in several batches and some of them held.
"""

import datetime
import random

from django.utils import timezone

from consent.models import Consent, ProcessingActivity
from dpo_portal.register.demo_languages import both
from dpo_portal.register.models import DataCategory, DataSubject, Organisation, System

from . import sweep
from .demo_az import RETENTION_AZ
from .models import EndAction, LegalHold, PeriodUnit, Record, RetentionRule, Trigger
from .rules import RuleBook, expiry
from .snapshots import take_snapshots

T, A, U = Trigger, EndAction, PeriodUnit
AML_REFERENCE = (
    "Law on the prevention of the legalisation of criminally obtained property and the financing "
    "of terrorism, art. 13: at least 5 years after the business relationship ends"
)

# (code, name, activity code or None, category code or None, period, unit, trigger, end action,
#  legal reference)
RULES = {
    "allall": [
        (
            "aml-cft",
            "AML/CFT customer due diligence",
            None,
            "due-diligence",
            5,
            U.YEARS,
            T.RELATIONSHIP_END,
            A.ERASE,
            AML_REFERENCE,
        ),
        (
            "aml-identity",
            "Customer identification (AML/CFT)",
            None,
            "identity-fin",
            5,
            U.YEARS,
            T.RELATIONSHIP_END,
            A.ERASE,
            AML_REFERENCE,
        ),
        (
            "tax-71-4",
            "Payment and accounting records",
            None,
            "payments",
            5,
            U.YEARS,
            T.COLLECTION,
            A.ERASE,
            "Tax Code of the Republic of Azerbaijan, art. 71.4: 5 years",
        ),
        (
            "civil-373-claims",
            "Claims and debt collection",
            "5-1-g-claims",
            "credit-history",
            10,
            U.YEARS,
            T.RELATIONSHIP_END,
            A.ANONYMISE,
            "Civil Code, art. 373: limitation period (10 years for claims on contracts)",
        ),
        (
            "civil-373",
            "Loan contracts",
            None,
            "credit-history",
            6,
            U.YEARS,
            T.RELATIONSHIP_END,
            A.ANONYMISE,
            "Civil Code, art. 373: limitation period (6 years)",
        ),
        (
            "marketing-consent",
            "Direct marketing on consent",
            "5-1-i-marketing",
            "contact",
            30,
            U.DAYS,
            T.CONSENT_WITHDRAWAL,
            A.ERASE,
            "Law on Personal Data, art. 8: consent, until withdrawn (policy 9.3)",
        ),
        (
            "calls",
            "Recorded calls",
            None,
            "contact-calls",
            1,
            U.YEARS,
            T.COLLECTION,
            A.ERASE,
            "Policy 5.1 l): call-quality evidence, 1 year",
        ),
        (
            "default",
            "Customer data (default)",
            None,
            None,
            5,
            U.YEARS,
            T.RELATIONSHIP_END,
            A.REVIEW,
            "Policy 5.2: as long as the purposes need, no longer than the law allows",
        ),
    ],
    "qonshu": [
        (
            "account-closure",
            "App account after closure",
            None,
            "account",
            1,
            U.YEARS,
            T.ACCOUNT_CLOSURE,
            A.ANONYMISE,
            "Policy 3.6 and 7.1: deleted when the account closes; kept 1 year for disputes (7.1.1)",
        ),
        (
            "identity-closure",
            "Identity data after closure",
            None,
            "identity-data",
            1,
            U.YEARS,
            T.ACCOUNT_CLOSURE,
            A.ERASE,
            "Policy 7.1: deleted after the account is closed",
        ),
        (
            "tax-71-4",
            "Cash-out transactions",
            None,
            "transactions",
            5,
            U.YEARS,
            T.COLLECTION,
            A.ERASE,
            "Tax Code of the Republic of Azerbaijan, art. 71.4: 5 years",
        ),
        (
            "news-consent",
            "News and offers on consent",
            "5-7-news-offers",
            "contact",
            30,
            U.DAYS,
            T.CONSENT_WITHDRAWAL,
            A.ERASE,
            "Law on Personal Data, art. 8: consent, until withdrawn",
        ),
        (
            "analytics",
            "Product analytics",
            None,
            "electronic",
            13,
            U.MONTHS,
            T.COLLECTION,
            A.ANONYMISE,
            "Policy 3.2.2: statistics and analytics",
        ),
        (
            "default",
            "User data (default)",
            None,
            None,
            3,
            U.YEARS,
            T.LAST_ACTIVITY,
            A.REVIEW,
            "Policy 3.6: kept only while the services and purposes run",
        ),
    ],
}

# (system code, category code, activity code or None, clock event or None, share of subjects)
RECORDS = {
    "allall": [
        ("core-loans", "identity-fin", "5-1-o-database", T.RELATIONSHIP_END, 1.0),
        ("core-loans", "credit-history", "5-1-g-claims", T.RELATIONSHIP_END, 0.6),
        ("core-loans", "payments", "5-1-a-contract", None, 0.8),
        ("aml-screening", "due-diligence", "5-1-f-aml", T.RELATIONSHIP_END, 0.9),
        ("call-recording", "contact-calls", "5-1-l-quality", None, 0.5),
        ("crm", "contact", "5-1-i-marketing", T.CONSENT_WITHDRAWAL, 0.4),
    ],
    "qonshu": [
        ("app-backend", "account", "5-1-account", T.ACCOUNT_CLOSURE, 1.0),
        ("app-backend", "identity-data", "5-1-account", T.ACCOUNT_CLOSURE, 0.7),
        ("payments-gateway", "transactions", "5-4-operations", None, 0.3),
        ("analytics", "electronic", "3-2-2-analytics", None, 0.8),
        ("support-desk", "contact", "5-7-news-offers", T.CONSENT_WITHDRAWAL, 0.4),
    ],
}
ENDED_SHARE = 0.45  # relationships ended / accounts closed
BATCH = 5000


def _day_between(start, end):
    return start + datetime.timedelta(days=random.randint(0, max((end - start).days, 0)))


def _rules(organisation):
    activities = dict(
        ProcessingActivity.objects.filter(organisation=organisation).values_list("code", "pk")
    )
    categories = dict(
        DataCategory.objects.filter(organisation=organisation).values_list("code", "pk")
    )
    for code, name, activity, category, period, unit, trigger, action, reference in RULES[
        organisation.slug
    ]:
        if (activity and activity not in activities) or (category and category not in categories):
            continue
        RetentionRule.objects.create(
            organisation=organisation,
            code=code,
            **both(RETENTION_AZ, name=name, legal_reference=reference),
            activity_id=activities.get(activity),
            category_id=categories.get(category),
            period=period,
            unit=unit,
            trigger=trigger,
            end_action=action,
        )


def _records(organisation, today):
    systems = dict(System.objects.filter(organisation=organisation).values_list("code", "pk"))
    categories = dict(
        DataCategory.objects.filter(organisation=organisation).values_list("code", "pk")
    )
    activities = dict(
        ProcessingActivity.objects.filter(organisation=organisation).values_list("code", "pk")
    )
    consents = {
        (subject_id, activity_id): (pk, withdrawn_at)
        for pk, subject_id, activity_id, withdrawn_at in Consent.objects.filter(
            organisation=organisation
        ).values_list("pk", "subject_id", "activity_id", "withdrawn_at")
    }
    book = RuleBook(organisation.pk)
    subject_ids = list(
        DataSubject.objects.filter(organisation=organisation, erased_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    start = today - datetime.timedelta(days=12 * 365)
    batch, count = [], 0
    for subject_id in subject_ids:
        collected = _day_between(start, today - datetime.timedelta(days=30))
        ended = _day_between(collected, today) if random.random() < ENDED_SHARE else None
        for n, (system, category, activity, event, share) in enumerate(RECORDS[organisation.slug]):
            if system not in systems or category not in categories or random.random() >= share:
                continue
            activity_id = activities.get(activity)
            consent_id, clock = None, None
            if event == T.CONSENT_WITHDRAWAL:
                consent = consents.get((subject_id, activity_id))
                if consent is None:
                    continue  # kept only on a consent this person never gave
                # The clock starts when the nightly sweep sees the withdrawal.
                consent_id = consent[0]
            elif event is not None:
                clock = ended
            rule = book.rule_for(activity_id, categories[category])
            batch.append(
                Record(
                    organisation=organisation,
                    subject_id=subject_id,
                    system_id=systems[system],
                    category_id=categories[category],
                    activity_id=activity_id,
                    external_id=f"{system[:3].upper()}-{subject_id:07d}-{n}",
                    collected_at=collected,
                    clock_started_at=clock,
                    rule=rule,
                    expires_on=expiry(rule, collected, clock),
                    consent_id=consent_id,
                )
            )
            if len(batch) >= BATCH:
                count += len(Record.objects.bulk_create(batch))
                batch = []
    count += len(Record.objects.bulk_create(batch))
    return count


def _aml_hold(organisation):
    """The financial-monitoring authority asked AllAll to keep a few customers' files."""
    subject_ids = list(
        Record.objects.filter(organisation=organisation, system__code="aml-screening")
        .exclude(expires_on=None)
        .order_by("expires_on", "pk")
        .values_list("subject_id", flat=True)[:5]
    )
    for subject_id in subject_ids:
        LegalHold.objects.create(
            organisation=organisation,
            subject_id=subject_id,
            reason="Request of the Financial Monitoring Service: keep the customer's file during "
            "the inquiry.",
            reference="MXM-2026/114",
        )
    return len(subject_ids)


def load(stdout, subjects_per_organisation):
    organisations = list(Organisation.objects.filter(slug__in=RULES).order_by("slug"))
    if not organisations:
        stdout.write("Retention: the register's demo organisations are missing, nothing added.")
        return
    if RetentionRule.objects.filter(organisation__in=organisations).exists():
        stdout.write("Retention: demo rules exist already, nothing added.")
        return
    today = timezone.localdate()
    records = holds = 0
    for organisation in organisations:
        _rules(organisation)
        records += _records(organisation, today)
        if organisation.slug == "allall":
            holds += _aml_hold(organisation)
    stdout.write(
        f"Retention: {RetentionRule.objects.filter(organisation__in=organisations).count()} "
        f"rules, {records} records, {holds} legal holds."
    )
    # A first sweep, so the first dashboard tells the truth: without it nothing is flagged due
    # and the dashboard would say nothing is overdue while thousands of records are past date.
    ids = [organisation.pk for organisation in organisations]
    found = sweep.sweep_inline(today=today, organisation_ids=ids)
    sweep.record_sweep([found], today=today.isoformat(), organisation_ids=ids)
    stdout.write(f"Retention: first sweep, {found.get('due', 0)} records due.")
    # The report's trend starts with today's figures (then one more every evening, by beat).
    take_snapshots(on=today)
