"""Demo data of the consent app: the purposes of both reference customers as the record of
processing, their privacy policies as notice versions, and consents of the synthetic people.

AllAll Finance (seed 000): the purposes of section 5.1 a)-p), on the bases of section 6.1.
Qonshu app (seed 003): the uses of 3.2.1-3.2.4 and the purposes of 5.1-5.10; its users accept
the policy in the app (3.1), so its consent-based purposes carry a consent per user.

Two activities are left with a gap on purpose, so the flags show: AllAll's catch-all 5.1 p)
and Qonshu's 5.8 ("new business activities") have no legal basis. Activities whose recipients
send data abroad are flagged too while the register's demo records no mechanism for them.
"""

import datetime
import random

from django.utils import timezone

from dpo_portal.register.demo_languages import both
from dpo_portal.register.models import (
    DataCategory,
    DataSubject,
    Organisation,
    Recipient,
    Source,
    SubjectType,
    System,
)

from .demo_az import CONSENT_AZ
from .models import (
    BasisKind,
    Consent,
    ConsentChannel,
    LegalBasis,
    PrivacyNotice,
    ProcessingActivity,
)

B = BasisKind
ALLALL_SECURITY = (
    "Firewalls letting only authorised staff reach personal data; backups; data-protection "
    "training of staff; segregation of duties (policy IT0101, 7.3)."
)
QONSHU_SECURITY = (
    "Access to the database limited to the team running the service; encrypted connections; "
    "measures taken at once on any doubt about the data's security (policy, 7.2)."
)

# fmt: off
# (code, name, purpose, basis kind or None, owner, dpia, categories, subject types, sources,
#  systems, recipients)
ALLALL_ACTIVITIES = [
    ("5-1-a-contract", "Service contracts", "5.1 a) Conclude and perform the contract for the "
     "services.", B.CONTRACT, "Credit Department", False,
     ["identity", "identity-fin", "contact", "financial", "employment", "payments"],
     ["customer", "guarantor"], ["subject", "asan", "credit-bureau"], ["core-loans"],
     ["employees", "storage-provider", "ict-provider"]),
    ("5-1-b-account", "User accounts", "5.1 b) Create the user account.", B.CONTRACT, "Digital",
     False, ["identity", "contact"], ["customer"], ["subject", "remote-identification"],
     ["core-loans", "website"], ["employees"]),
    ("5-1-c-communication", "Communication with users", "5.1 c) Communicate with the user, e.g. "
     "about concluding and performing the contract.", B.CONTRACT, "Customer Service", False,
     ["contact", "contact-calls"], ["customer"], ["subject"], ["crm", "call-recording"],
     ["employees", "ict-provider"]),
    ("5-1-d-creditworthiness", "Creditworthiness assessment", "5.1 d) Assess and determine the "
     "user's creditworthiness.", B.CONTRACT, "Risk Department", True,
     ["financial", "credit-history", "employment"], ["customer", "guarantor"],
     ["credit-bureau", "tax", "social-insurance"], ["core-loans"], ["akb"]),
    ("5-1-e-risk", "Risk management", "5.1 e) Manage risks, credit risk included.",
     B.LEGITIMATE_INTERESTS, "Risk Department", False, ["financial", "credit-history"],
     ["customer"], ["credit-bureau"], ["core-loans"], ["employees"]),
    ("5-1-f-aml", "Fraud, AML/CFT prevention", "5.1 f) Prevent and detect fraud, money "
     "laundering, terrorist financing and proliferation; keep a list of undesired customers.",
     B.LEGAL_OBLIGATION, "Compliance", True, ["identity", "identity-fin", "due-diligence"],
     ["customer", "guarantor"], ["aml-screening", "asan"], ["aml-screening"], ["state-bodies"]),
    ("5-1-g-claims", "Defence of rights and debt collection", "5.1 g) Defend the company's "
     "rights in and out of court; collect debts.", B.LEGITIMATE_INTERESTS, "Legal Department",
     False, ["identity", "contact", "credit-history"], ["customer", "guarantor"],
     ["debt-collectors"], ["core-loans"], ["debt-collector", "other-entitled"]),
    ("5-1-h-complaints", "Complaints and their register", "5.1 h) Handle applications and "
     "complaints; keep the complaints register.", B.LEGAL_OBLIGATION, "Customer Service", False,
     ["identity", "contact", "other"], ["customer"], ["subject"], ["crm"], ["employees"]),
    ("5-1-i-marketing", "Direct marketing", "5.1 i) Direct marketing: commercial messages and "
     "calls, loyalty and lotteries, targeting and cookies, customer segmentation.", B.CONSENT,
     "Sales and Marketing", False, ["contact", "device", "social"], ["customer", "prospect"],
     ["subject", "cookies"], ["crm", "website"], ["ict-provider"]),
    ("5-1-j-prospects", "Contacting potential customers", "5.1 j) Contact potential customers "
     "and offer services through other channels.", B.CONSENT, "Sales and Marketing", False,
     ["contact", "social"], ["prospect"], ["third-party-contracts"], ["crm"], []),
    ("5-1-k-security", "Security", "5.1 k) Information and cyber security, property protection, "
     "preventing and detecting offences.", B.LEGITIMATE_INTERESTS, "IT Security", False,
     ["network", "device", "location"], ["customer", "prospect"], ["cookies"], ["website"],
     ["ict-provider"]),
    ("5-1-l-quality", "Call and service quality", "5.1 l) Control call and service quality; "
     "keep evidence.", B.LEGITIMATE_INTERESTS, "Customer Service", False, ["contact-calls"],
     ["customer"], ["subject"], ["call-recording"], ["employees"]),
    ("5-1-m-legal", "Legal obligations and state bodies", "5.1 m) Meet obligations set by "
     "legal acts; answer competent state bodies.", B.LEGAL_OBLIGATION, "Legal Department",
     False, ["identity", "identity-fin", "financial"], ["customer"], ["subject"], ["core-loans"],
     ["state-bodies"]),
    ("5-1-n-statistics", "Statistics and research", "5.1 n) Statistics and other research on "
     "the data provided.", B.LEGITIMATE_INTERESTS, "Risk Department", False,
     ["financial", "location"], ["customer"], ["subject"], ["core-loans"], []),
    ("5-1-o-database", "Customer database and administration", "5.1 o) Build the database of "
     "users and customers, manage user accounts, other administrative purposes.", B.CONTRACT,
     "IT Department", False, ["identity", "contact"], ["customer"], ["subject"],
     ["core-loans", "crm"], ["storage-provider", "cloud-backup"]),
    ("5-1-p-other", "Other purposes set by law or internal documents", "5.1 p) Other purposes "
     "set (or that may be set) by the law of Azerbaijan and the company's internal documents.",
     None, "", False, ["other"], ["customer"], ["subject"], [], []),
]

QONSHU_ACTIVITIES = [
    ("3-2-1-platform", "Running the platform", "3.2.1 Run the platform and keep the services "
     "working without interruption.", B.CONTRACT, "Engineering", False,
     ["personal", "contact", "account"], ["resident", "commandant"], ["app"], ["app-backend"],
     ["tech-support"]),
    ("3-2-2-analytics", "Statistics and analytics", "3.2.2 Statistical research and analysis to "
     "improve the service and the user experience.", B.CONSENT, "Product", False,
     ["electronic", "account"], ["resident", "commandant"], ["app", "device"], ["analytics"], []),
    ("3-2-3-identification", "Identification and security", "3.2.3 Identify the user and keep "
     "the service secure.", B.LEGITIMATE_INTERESTS, "Engineering", False,
     ["identity-data", "credentials", "electronic"], ["resident", "commandant", "partner"],
     ["app", "device"], ["app-backend"], []),
    ("3-2-4-disclosure", "Disclosure required by law", "3.2.4 Provide data where the law or a "
     "competent state body requires it.", B.LEGAL_OBLIGATION, "Management", False,
     ["personal", "identity-data"], ["resident", "commandant"], ["app"], ["app-backend"],
     ["state-bodies"]),
    ("5-1-account", "User account and e-cabinet", "5.1 Create the user account and the "
     "e-cabinet and manage them securely.", B.CONTRACT, "Engineering", False,
     ["personal", "contact", "account", "credentials"], ["resident", "commandant"], ["app"],
     ["app-backend"], ["tech-support"]),
    ("5-2-law-enforcement", "Support to law enforcement", "5.2 Support law-enforcement bodies "
     "against offences.", B.LEGAL_OBLIGATION, "Management", False,
     ["personal", "identity-data", "electronic"], ["resident", "commandant"], ["app", "device"],
     ["app-backend"], ["law-enforcement"]),
    ("5-3-research", "Statistics and market research", "5.3 Confidential statistical analysis "
     "and market research, in-house and through third parties.", B.CONSENT, "Product", False,
     ["electronic", "voluntary"], ["resident"], ["app", "device"], ["analytics"], []),
    ("5-4-operations", "Managing services and in-app operations", "5.4 Manage the services and "
     "in-app operations and make them more efficient.", B.CONTRACT, "Engineering", False,
     ["account", "transactions"], ["resident", "commandant"], ["app"],
     ["app-backend", "payments-gateway"], ["payment-systems", "building-managers"]),
    ("5-5-communication", "Communication and platform development", "5.5 Communicate "
     "effectively with users; develop the services and the platform.", B.CONSENT, "Product",
     False, ["contact", "notification-preferences"], ["resident", "commandant"], ["app"],
     ["app-backend", "support-desk"], []),
    ("5-6-app-improvement", "Improving the app", "5.6 Improve the app's user experience and "
     "functions.", B.LEGITIMATE_INTERESTS, "Product", False, ["electronic"], ["resident"],
     ["device"], ["analytics"], []),
    ("5-7-news-offers", "News and offers", "5.7 Inform users about news, new services and "
     "offers.", B.CONSENT, "Marketing", False, ["contact", "notification-preferences"],
     ["resident", "commandant"], ["app"], ["app-backend"], []),
    ("5-8-new-business", "New business activities", "5.8 Manage new business activities when "
     "needed.", None, "", False, ["personal", "account"], ["resident"], ["app"],
     ["app-backend"], []),
    ("5-9-fraud", "Preventing unlawful operations and fraud", "5.9 Check and process data to "
     "prevent unlawful operations, fraud and other crime.", B.LEGITIMATE_INTERESTS,
     "Engineering", False, ["transactions", "electronic", "identity-data"],
     ["resident", "commandant"], ["app", "device"], ["app-backend", "payments-gateway"],
     ["law-enforcement"]),
    ("5-10-support", "User support and news", "5.10 Support users in the app and deliver news "
     "and other important information.", B.CONTRACT, "Support", False,
     ["contact", "voluntary"], ["resident", "commandant"], ["app"], ["support-desk"],
     ["tech-support"]),
]
# fmt: on

LIA = (
    "Balancing test: the processing is expected by users, limited to what the purpose needs, "
    "and does not override their rights; reviewed by the DPO."
)

# (registry number, edition, language, title, approved by, approved on, effective from, text)
NOTICES = {
    "allall": [
        ("IT0101", "01", "az", "Məxfilik Siyasəti", "Direktor", datetime.date(2025, 8, 21),
         datetime.date(2025, 8, 21),
         "“AllAll Finance” MMC-nin Məxfilik Siyasəti. Reyestr № IT0101, Nəşr № 01. "
         "Direktor tərəfindən 21 avqust 2025-ci il tarixdə təsdiq edilmişdir."),
        ("IT0101", "01", "en", "Privacy policy", "Director", datetime.date(2025, 8, 21),
         datetime.date(2025, 8, 21),
         "Privacy policy of “AllAll Finance” MMC, registry no. IT0101, edition 01, approved by "
         "the Director on 21 August 2025 (English translation)."),
    ],
    "qonshu": [
        ("QONSHU-PP", "1", "az", "Məxfilik Siyasəti", "", None, datetime.date(2025, 1, 1),
         "Qonshu app Məxfilik Siyasəti: tətbiqdə dərc edildiyi andan qüvvəyə minir (8.1). "
         "“Mən, Məxfilik Siyasətini oxudum və qəbul edirəm.”"),
    ],
}  # fmt: skip

# Which consent-based activities each person was asked for, and how they answered.
CONSENT_SHARE = 0.6  # of the subjects of a consent-based activity's subject types
WITHDRAWN_SHARE = 0.12
CHANNELS = {
    "allall": [ConsentChannel.WEB, ConsentChannel.PAPER, ConsentChannel.E_SIGNATURE],
    "qonshu": [ConsentChannel.APP_CHECKBOX],
}
WITHDRAWAL_CHANNELS = [ConsentChannel.WEB, ConsentChannel.PAPER, ConsentChannel.EMAIL]
BATCH = 2000


def _by_code(model, organisation):
    return {entry.code: entry for entry in model.objects.filter(organisation=organisation)}


def _activities(organisation, rows):
    bases = {b.kind: b for b in LegalBasis.objects.filter(regime=organisation.regime)}
    lookups = {
        "categories": _by_code(DataCategory, organisation),
        "subject_types": _by_code(SubjectType, organisation),
        "sources": _by_code(Source, organisation),
        "systems": _by_code(System, organisation),
        "recipients": _by_code(Recipient, organisation),
    }
    security = ALLALL_SECURITY if organisation.slug == "allall" else QONSHU_SECURITY
    created = []
    for row in rows:
        code, name, purpose, kind, owner, dpia, *links = row
        activity = ProcessingActivity.objects.create(
            organisation=organisation,
            code=code,
            **both(CONSENT_AZ, name=name, purpose=purpose),
            legal_basis=bases.get(kind),
            legitimate_interest_assessment=LIA if kind == B.LEGITIMATE_INTERESTS else "",
            owner=owner,
            dpia_needed=dpia,
            security_measures=security if kind else "",
        )
        for field, codes in zip(lookups, links, strict=True):
            getattr(activity, field).set([lookups[field][c] for c in codes if c in lookups[field]])
        created.append(activity)
    return created


def _notices(organisation):
    return [
        PrivacyNotice.objects.create(
            organisation=organisation,
            registry_number=number,
            edition=edition,
            language=language,
            title=title,
            approved_by=approved_by,
            approved_on=approved_on,
            effective_from=effective_from,
            text=text,
        )
        for number, edition, language, title, approved_by, approved_on, effective_from, text in (
            NOTICES[organisation.slug]
        )
    ]


def _instant(start, end):
    """A random moment between two, in whole seconds (exports and re-imports match it)."""
    span = int((end - start).total_seconds())
    return (start + datetime.timedelta(seconds=random.randint(0, max(span, 0)))).replace(
        microsecond=0
    )


def _consents(organisation, activities, notice, now):
    consent_based = [a for a in activities if a.legal_basis and a.legal_basis.kind == B.CONSENT]
    since = timezone.make_aware(datetime.datetime.combine(notice.effective_from, datetime.time(9)))
    subjects_by_type = {}
    for pk, type_id in DataSubject.objects.filter(organisation=organisation).values_list(
        "pk", "subject_type_id"
    ):
        subjects_by_type.setdefault(type_id, []).append(pk)
    batch, count = [], 0
    for activity in consent_based:
        type_ids = list(activity.subject_types.values_list("pk", flat=True))
        for type_id in type_ids:
            for subject_id in subjects_by_type.get(type_id, []):
                if random.random() >= CONSENT_SHARE:
                    continue
                given = _instant(since, now - datetime.timedelta(days=2))
                withdrawn = None
                if random.random() < WITHDRAWN_SHARE:
                    withdrawn = _instant(given + datetime.timedelta(days=1), now)
                batch.append(
                    Consent(
                        organisation=organisation,
                        subject_id=subject_id,
                        activity=activity,
                        notice=notice,
                        given_at=given,
                        channel=random.choice(CHANNELS[organisation.slug]),
                        evidence_reference=f"{activity.code.upper()}-{subject_id}",
                        withdrawn_at=withdrawn,
                        withdrawal_channel=random.choice(WITHDRAWAL_CHANNELS) if withdrawn else "",
                    )
                )
                if len(batch) >= BATCH:
                    count += len(Consent.objects.bulk_create(batch))
                    batch = []
    count += len(Consent.objects.bulk_create(batch))
    return count


def load(stdout, subjects_per_organisation):
    organisations = {o.slug: o for o in Organisation.objects.filter(slug__in=NOTICES)}
    if len(organisations) < len(NOTICES):
        stdout.write("Consent: the register's demo organisations are missing, nothing added.")
        return
    if ProcessingActivity.objects.filter(organisation__in=organisations.values()).exists():
        stdout.write("Consent: demo activities exist already, nothing added.")
        return
    now = timezone.now()
    total_activities = total_consents = 0
    plan = [("allall", ALLALL_ACTIVITIES), ("qonshu", QONSHU_ACTIVITIES)]
    for slug, rows in plan:
        organisation = organisations[slug]
        activities = _activities(organisation, rows)
        notice = _notices(organisation)[0]
        total_activities += len(activities)
        total_consents += _consents(organisation, activities, notice, now)
    stdout.write(
        f"Consent: {total_activities} processing activities, "
        f"{PrivacyNotice.objects.count()} notice versions, {total_consents} consents."
    )
