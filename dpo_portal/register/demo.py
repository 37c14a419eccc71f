"""Demo data of the register: the two reference customers of ../shared/seeds/.

"AllAll Finance" MMC (seed 000, slug ``allall``) and Qonshu app (seed 003, slug ``qonshu``), with
their data categories, subject types, sources, systems and recipients as their privacy policies
list them, thousands of synthetic data subjects, and one demo user per role.

Other apps' demo loaders build on these codes, so they are stable (code → what it is):

allall  categories  identity, identity-fin, contact, contact-calls, financial, credit-history,
                    employment, due-diligence, payments, device, location, network, social, other
        subject types  customer, prospect, guarantor
        sources     subject, credit-bureau, asan, tax, social-insurance, third-party-contracts,
                    debt-collectors, aml-screening, remote-identification, cookies
        systems     core-loans, crm, call-recording, website, aml-screening
        recipients  employees, storage-provider, ict-provider, cloud-backup (abroad, DE),
                    debt-collector, akb, state-bodies, other-entitled
qonshu  categories  electronic, personal, identity-data, contact, notification-preferences,
                    account, credentials, transactions, voluntary
        subject types  resident, commandant, partner, employee
        sources     app, device
        systems     app-backend, support-desk, analytics, payments-gateway
        recipients  tech-support, payment-systems, building-managers, state-bodies,
                    law-enforcement
"""

import datetime
import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from .demo_languages import REGISTER_AZ, both
from .models import (
    DataCategory,
    DataSubject,
    Membership,
    Organisation,
    Recipient,
    RecipientCategory,
    RecipientRole,
    Regime,
    Role,
    Sensitivity,
    Source,
    SourceKind,
    SubjectType,
    System,
)

S = Sensitivity

# fmt: off

# (code, name, sensitivity, parent code or None, examples)
ALLALL_CATEGORIES = [
    ("identity", "Basic identity data", S.IDENTIFIER, None, "name, surname, birth date, sex"),
    ("identity-fin", "Personal code (FIN) and identity document", S.IDENTIFIER, "identity", ""),
    ("contact", "Contact data", S.ORDINARY, None, "phone number, e-mail, home address"),
    ("contact-calls", "Recorded phone calls", S.ORDINARY, "contact", "every call is recorded"),
    ("financial", "Financial and employment data", S.FINANCIAL, None, "income, expenses, debts"),
    ("credit-history", "Credit history", S.FINANCIAL, "financial", "loans, payment delays"),
    ("employment", "Employment", S.ORDINARY, "financial", "employment type, employer"),
    ("due-diligence", "Due-diligence data (PEP, beneficial owner)", S.ORDINARY, None, ""),
    ("payments", "Payments and transfers", S.FINANCIAL, None, "bank account, payer identity"),
    ("device", "Device data", S.ORDINARY, None, "device id, model, OS version, cookie id"),
    ("location", "Location data", S.ORDINARY, None, ""),
    ("network", "Network data", S.ORDINARY, None, "source IP address"),
    ("social", "Social-network presence", S.ORDINARY, None, ""),
    ("other", "Other data given by the user or obtained from other sources", S.ORDINARY, None, ""),
]

QONSHU_CATEGORIES = [
    ("electronic", "Electronic and telephone data", S.ORDINARY, None, "pages, device, IP, browser"),
    ("personal", "Personal and contact data", S.ORDINARY, None, "name, surname, sex"),
    ("identity-data", "Identity data (FIN, ID card)", S.IDENTIFIER, "personal", ""),
    ("contact", "Contact data", S.ORDINARY, "personal", "e-mail, phone"),
    ("notification-preferences", "Notification preferences", S.ORDINARY, "personal", ""),
    ("account", "Account data", S.ORDINARY, None, "last login, account status, pages viewed"),
    ("credentials", "Password data", S.IDENTIFIER, "account", ""),
    ("transactions", "Transaction history", S.FINANCIAL, "account", "cash-out operations"),
    ("voluntary", "Other voluntary data", S.ORDINARY, None, "support messages, feedback, surveys"),
]

ALLALL_SUBJECT_TYPES = [
    ("customer", "Customer (borrower)"),
    ("prospect", "Potential customer"),
    ("guarantor", "Guarantor"),
]
QONSHU_SUBJECT_TYPES = [
    ("resident", "Resident (Sakin)"),
    ("commandant", "Building commandant (Komendant)"),
    ("partner", "Partner (building manager)"),
    ("employee", "Employee"),
]

K = SourceKind
ALLALL_SOURCES = [
    ("subject", "The user: applications, e-mail, phone, post, website", K.SUBJECT),
    ("credit-bureau", '"Azərbaycan Kredit Bürosu" MMC (AKB)', K.CREDIT_BUREAU),
    ("asan", "ASAN service", K.STATE_SYSTEM),
    ("tax", "Tax authorities", K.STATE_SYSTEM),
    ("social-insurance", "Social insurance", K.STATE_SYSTEM),
    ("third-party-contracts", "Contracts with third parties", K.THIRD_PARTY_CONTRACT),
    ("debt-collectors", "Debt-collection providers' databases", K.DEBT_COLLECTION),
    ("aml-screening", "Anti-fraud, AML/CFT screening systems", K.SCREENING),
    ("remote-identification", "Remote identification on the website", K.REMOTE_IDENTIFICATION),
    ("cookies", "Cookies", K.COOKIES),
]
QONSHU_SOURCES = [
    ("app", "The user, through the Qonshu app", K.SUBJECT),
    ("device", "The user's device and browser", K.COOKIES),
]

# (code, name, owner, hosting country, subject count, registration number, days in use,
#  category codes)
ALLALL_SYSTEMS = [
    ("core-loans", "Loan management system (core)", "Credit Department", "AZ", 14200,
     "İS-2023-0457", 900, ["identity", "identity-fin", "contact", "financial", "credit-history",
                           "employment", "payments"]),
    ("crm", "CRM", "Sales and Marketing", "AZ", 9800, "", 400,
     ["identity", "contact", "employment", "social"]),
    ("call-recording", "Call recording", "Customer Service", "AZ", 11000, "İS-2024-0112", 600,
     ["contact", "contact-calls"]),
    ("website", "Website and cookies", "Digital", "AZ", 650, "", 300,
     ["device", "location", "network"]),
    ("aml-screening", "AML/CFT screening", "", "DE", 14200, "İS-2024-0390", 500,
     ["identity", "identity-fin", "due-diligence"]),
]
QONSHU_SYSTEMS = [
    ("app-backend", "Mobile app backend", "Engineering", "AZ", 25400, "İS-2024-0733", 700,
     ["personal", "identity-data", "contact", "account", "credentials", "transactions"]),
    ("support-desk", "Support desk", "", "AZ", 3100, "", 200, ["contact", "voluntary"]),
    ("analytics", "Product analytics", "Product", "DE", 25400, "", 150, ["electronic"]),
    ("payments-gateway", "Payments gateway", "Finance", "AZ", 480, "", 350, ["transactions"]),
]

RC, RR = RecipientCategory, RecipientRole
# (code, name, category, role, country, contract reference, signed (days ago), expires (days
#  ahead, None = open-ended), review interval months, next review (days ahead; negative = overdue),
#  category codes)
ALLALL_RECIPIENTS = [
    ("employees", "Employees and officers", RC.EMPLOYEES, RR.CONTROLLER, "AZ", "", None, None,
     12, 120, ["identity", "contact", "financial"]),
    ("storage-provider", "Data-centre storage provider", RC.SERVICE_PROVIDER, RR.PROCESSOR, "AZ",
     "DPA-2024-07", 500, 400, 12, -20, ["identity", "contact", "financial", "payments"]),
    ("ict-provider", "ICT support provider", RC.SERVICE_PROVIDER, RR.PROCESSOR, "AZ",
     "SLA-2023-15", 700, 35, 12, 45, ["identity", "contact", "device", "network"]),
    ("cloud-backup", "Cloud backup provider (Frankfurt)", RC.SERVICE_PROVIDER, RR.PROCESSOR, "DE",
     "DPA-2025-02", 250, 480, 6, 30, ["identity", "contact", "financial"]),
    ("debt-collector", "Debt-collection agency", RC.CREDIT_BUREAU, RR.PROCESSOR, "AZ",
     "DC-2024-03", 420, 300, 12, -75, ["identity", "contact", "credit-history"]),
    ("akb", '"Azərbaycan Kredit Bürosu" MMC', RC.CREDIT_BUREAU, RR.CONTROLLER, "AZ",
     "AKB-2022-118", 1100, None, 24, 200, ["identity", "identity-fin", "credit-history"]),
    ("state-bodies", "Competent state bodies and officials", RC.STATE_BODY, RR.AUTHORITY, "AZ",
     "", None, None, 12, 90, ["identity", "identity-fin", "financial"]),
    ("other-entitled", "Other recipients entitled to receive the data", RC.OTHER,
     RR.CONTROLLER, "AZ", "", None, None, 12, None, ["identity"]),
]
QONSHU_RECIPIENTS = [
    ("tech-support", "Technical-support partner", RC.SERVICE_PROVIDER, RR.PROCESSOR, "AZ",
     "QA-TS-2024-01", 380, 340, 12, -10, ["personal", "contact", "account", "voluntary"]),
    ("payment-systems", "Payment systems", RC.PARTNER, RR.CONTROLLER, "AZ", "QA-PAY-2023-04",
     600, 500, 12, 60, ["personal", "transactions"]),
    ("building-managers", "Building managers", RC.PARTNER, RR.JOINT_CONTROLLER, "AZ",
     "", None, None, 12, 150, ["personal", "contact"]),
    ("state-bodies", "State bodies where the law requires", RC.STATE_BODY, RR.AUTHORITY, "AZ",
     "", None, None, 12, 180, ["personal", "identity-data"]),
    ("law-enforcement", "Law-enforcement bodies", RC.LAW_ENFORCEMENT, RR.AUTHORITY, "AZ",
     "", None, None, 12, 180, ["personal", "identity-data", "electronic"]),
]

# username, e-mail, [(organisation slug, role)], superuser
DEMO_USERS = [
    ("demo-dpo", "dpo@allall.demo", [("allall", Role.DPO)], False),
    ("demo-compliance", "compliance@allall.demo", [("allall", Role.COMPLIANCE)], False),
    ("demo-manager", "manager@allall.demo", [("allall", Role.MANAGER)], False),
    ("demo-auditor", "auditor@qonshu.demo", [("qonshu", Role.AUDITOR)], False),
    ("demo-dpo-both", "dpo@both.demo", [("allall", Role.DPO), ("qonshu", Role.DPO)], False),
    ("demo-admin", "admin@portal.demo", [], True),
]

# Full names: certificates and the audit trail name people, not usernames.
DEMO_NAMES = {
    "demo-dpo": ("Leyla", "Həsənova"),
    "demo-compliance": ("Tural", "Quliyev"),
    "demo-manager": ("Nigar", "Əliyeva"),
    "demo-auditor": ("Kamran", "İsmayılov"),
    "demo-dpo-both": ("Rəşad", "Məmmədov"),
    "demo-admin": ("Portal", "Administrator"),
}

# fmt: on

# --- Synthetic people -------------------------------------------------------------------------

MALE_NAMES = [
    "Elvin",
    "Rəşad",
    "Tural",
    "Orxan",
    "Kamran",
    "Murad",
    "Anar",
    "Elnur",
    "Ramil",
    "Rauf",
    "Fərid",
    "Nicat",
    "Ülvi",
    "Səbuhi",
    "Vüqar",
    "Cavid",
    "Emin",
    "İlkin",
    "Zaur",
    "Elçin",
    "Samir",
    "Tofiq",
    "Əli",
    "Hüseyn",
    "Məhəmməd",
    "Ruslan",
    "Nurlan",
    "Şahin",
    "Ceyhun",
    "Fuad",
]
FEMALE_NAMES = [
    "Aysel",
    "Günel",
    "Leyla",
    "Nigar",
    "Aynur",
    "Səbinə",
    "Könül",
    "Fidan",
    "Nərmin",
    "Ülkər",
    "Lalə",
    "Səadət",
    "Aytən",
    "Gülnar",
    "Sevinc",
    "Şəbnəm",
    "Zəhra",
    "Məryəm",
    "Nuray",
    "Aygün",
]
SURNAMES = [
    "Məmmədov",
    "Əliyev",
    "Həsənov",
    "Hüseynov",
    "Quliyev",
    "İsmayılov",
    "Abbasov",
    "Rzayev",
    "Cəfərov",
    "Nəsirov",
    "Bağırov",
    "Kərimov",
    "Süleymanov",
    "Orucov",
    "Mustafayev",
    "Əhmədov",
    "Səfərov",
    "Vəliyev",
    "Qasımov",
    "Novruzov",
    "İbrahimov",
    "Nağıyev",
    "Zeynalov",
    "Şükürov",
]
STREETS = [
    "Nəsimi r., Azadlıq pr.",
    "Yasamal r., Şərifzadə küç.",
    "Sabunçu r., Bakıxanov qəs.",
    "Nərimanov r., Təbriz küç.",
    "Xətai r., Babək pr.",
    "Binəqədi r., Rəsulzadə qəs.",
    "Suraxanı r., Hövsan qəs.",
    "Nizami r., Qara Qarayev pr.",
    "Səbail r., Neftçilər pr.",
]
CITIES = ["Bakı ş.", "Bakı ş.", "Bakı ş.", "Sumqayıt ş.", "Gəncə ş.", "Xırdalan ş."]
MAIL_DOMAINS = ["gmail.com", "mail.ru", "box.az", "yahoo.com", "outlook.com", "mail.az"]
PHONE_PREFIXES = ["50", "51", "55", "70", "77"]
FIN_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
ASCII = str.maketrans({"ə": "a", "ö": "o", "ü": "u", "ı": "i", "ş": "sh", "ç": "ch", "ğ": "g"})
BATCH = 1000


def ascii_name(name):
    return name.replace("İ", "I").lower().translate(ASCII)


def synthetic_subjects(organisation, subject_types, weights, count, prefix, used_fins):
    """Unsaved DataSubjects with values already normalised (bulk_create skips save())."""
    today = timezone.localdate()
    for n in range(1, count + 1):
        female = random.random() < 0.5
        first = random.choice(FEMALE_NAMES if female else MALE_NAMES)
        surname = random.choice(SURNAMES)
        last = surname + "a" if female else surname
        father = random.choice(MALE_NAMES)
        patronymic = f"{father} {'qızı' if female else 'oğlu'}"
        fin = ""
        while not fin or fin in used_fins:
            fin = "".join(random.choices(FIN_ALPHABET, k=7))
        used_fins.add(fin)
        subject_type = random.choices(subject_types, weights)[0]
        yield DataSubject(
            organisation=organisation,
            subject_type=subject_type,
            external_ref=f"{prefix}-{n:06d}",
            first_name=first,
            last_name=last,
            patronymic=patronymic,
            birth_date=today - datetime.timedelta(days=random.randint(18 * 365, 75 * 365)),
            fin=fin,
            id_document_number=f"AZE{random.randint(0, 99_999_999):08d}",
            phone=f"+994{random.choice(PHONE_PREFIXES)}{random.randint(0, 9_999_999):07d}",
            email=(
                f"{ascii_name(first)}.{ascii_name(last)}{random.randint(1, 999)}"
                f"@{random.choice(MAIL_DOMAINS)}"
            ),
            address=(
                f"{random.choice(CITIES)}, {random.choice(STREETS)} {random.randint(1, 220)}, "
                f"mən. {random.randint(1, 160)}"
            ),
        )


# --- Loading ----------------------------------------------------------------------------------


def _coded(model, organisation, rows, **fields_of):
    return {
        code: model.objects.create(
            organisation=organisation, code=code, **both(REGISTER_AZ, name=name), **fields_of
        )
        for code, name in rows
    }


def _categories(organisation, rows):
    created = {}
    for code, name, sensitivity, parent, examples in rows:
        created[code] = DataCategory.objects.create(
            organisation=organisation,
            code=code,
            **both(REGISTER_AZ, name=name, examples=examples),
            sensitivity=sensitivity,
            parent=created.get(parent),
        )
    return created


def _sources(organisation, rows):
    for code, name, kind in rows:
        Source.objects.create(
            organisation=organisation, code=code, **both(REGISTER_AZ, name=name), kind=kind
        )


def _systems(organisation, rows, categories, today):
    for code, name, owner, country, count, reg_no, days, category_codes in rows:
        created_on = today - datetime.timedelta(days=days)
        system = System.objects.create(
            organisation=organisation,
            code=code,
            **both(REGISTER_AZ, name=name),
            owner=owner,
            hosting_country=country,
            subject_count=count,
            created_on=created_on,
            registration_number=reg_no,
            registration_date=created_on + datetime.timedelta(days=15) if reg_no else None,
        )
        system.categories.set([categories[c] for c in category_codes])


def _recipients(organisation, rows, categories, today):
    def day(offset):
        return None if offset is None else today + datetime.timedelta(days=offset)

    for row in rows:
        code, name, category, role, country, ref, signed, expires, interval, review, cats = row
        recipient = Recipient.objects.create(
            organisation=organisation,
            code=code,
            **both(REGISTER_AZ, name=name),
            category=category,
            role=role,
            country=country,
            contract_reference=ref,
            contract_signed_on=day(-signed if signed is not None else None),
            contract_expires_on=day(expires),
            review_interval_months=interval,
            last_reviewed_on=day(review - interval * 30 if review is not None else None),
            next_review_due=day(review),
        )
        recipient.categories.set([categories[c] for c in cats])


def _subjects(organisation, types, weights, count, prefix, used_fins):
    batch = []
    for subject in synthetic_subjects(organisation, types, weights, count, prefix, used_fins):
        batch.append(subject)
        if len(batch) == BATCH:
            DataSubject.objects.bulk_create(batch)
            batch = []
    DataSubject.objects.bulk_create(batch)


def _users(organisations):
    User = get_user_model()
    for username, email, memberships, superuser in DEMO_USERS:
        first_name, last_name = DEMO_NAMES[username]
        user = User(
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            is_staff=True,
            is_superuser=superuser,
        )
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
        for slug, role in memberships:
            Membership.objects.create(user=user, organisation=organisations[slug], role=role)


def load(stdout, subjects_per_organisation):
    if Organisation.objects.filter(slug="allall").exists():
        stdout.write("Register: demo organisations exist already, nothing added.")
        return
    today = timezone.localdate()
    allall = Organisation.objects.create(
        name='"AllAll Finance" MMC',
        slug="allall",
        legal_form="MMC",
        tax_id="1806806881",
        address="Bakı şəhəri, Sabunçu rayonu, Bağlar (Albalılıq qəsəbəsi), ev 465 K",
        dpo_name="Data Protection Officer",
        dpo_email="dpo@allall.demo",
        regime=Regime.AZERBAIJAN,
        languages="az,en",
        four_eyes=True,
    )
    qonshu = Organisation.objects.create(
        name="Qonshu app",
        slug="qonshu",
        dpo_email="info@qonshuapp.az",
        regime=Regime.AZERBAIJAN,
        languages="az",
    )
    used_fins = set(DataSubject.objects.exclude(fin="").values_list("fin", flat=True))
    plan = [
        (allall, ALLALL_CATEGORIES, ALLALL_SUBJECT_TYPES, [70, 25, 5], ALLALL_SOURCES,
         ALLALL_SYSTEMS, ALLALL_RECIPIENTS, "AF"),
        (qonshu, QONSHU_CATEGORIES, QONSHU_SUBJECT_TYPES, [85, 8, 4, 3], QONSHU_SOURCES,
         QONSHU_SYSTEMS, QONSHU_RECIPIENTS, "QA"),
    ]  # fmt: skip
    for org, cats, type_rows, weights, sources, systems, recipients, prefix in plan:
        categories = _categories(org, cats)
        types = _coded(SubjectType, org, type_rows)
        _sources(org, sources)
        _systems(org, systems, categories, today)
        _recipients(org, recipients, categories, today)
        _subjects(org, list(types.values()), weights, subjects_per_organisation, prefix, used_fins)
    _users({"allall": allall, "qonshu": qonshu})
    stdout.write(
        f"Register: 2 organisations, {DataCategory.objects.count()} data categories, "
        f"{System.objects.count()} systems, {Recipient.objects.count()} recipients, "
        f"{DataSubject.objects.count()} data subjects, {len(DEMO_USERS)} demo users."
    )
