"""The legal data the portal ships with: today's figures, as data a DPO may then edit.

`load(apps)` runs in a data migration and creates only what is missing, matching on stable codes
(a reference's code, a regime's code, a version's regime and date, a kind or a ground's code
within its version): a row a DPO has edited is never overwritten.

What is marked verified: only provisions whose figures the research behind issue 13 confirmed in
the official text (Tax Code art. 71.4, Civil Code art. 373, Labour Code art. 105, Administrative
Offences Code art. 375) and the GDPR (EUR-Lex). The Law on Personal Data's deadlines (art. 12)
and rights list (art. 7) were found in secondary sources only: unverified until a DPO checks them.
"""

import datetime

SHIPPED_ON = datetime.date(2026, 12, 1)
SHIPPED_BY = "Portal maintainers (issue 13 research)"

LAW_998_URL = "https://e-qanun.az/framework/19675"
GDPR_URL = "https://eur-lex.europa.eu/eli/reg/2016/679/oj"
AZ_LAW = ("Law on Personal Data", "Fərdi məlumatlar haqqında Qanun")

# code: (citation en, citation az, source URL or document, verified, text)
REFERENCES = {
    "az-998": (
        "Law on Personal Data No. 998-IIIQ of 11 May 2010",
        "11 may 2010-cu il tarixli 998-IIIQ nömrəli Fərdi məlumatlar haqqında Qanun",
        LAW_998_URL,
        False,
        "",
    ),
    "az-998-art-7": (
        "Law on Personal Data, art. 7",
        "Fərdi məlumatlar haqqında Qanun, maddə 7",
        LAW_998_URL,
        False,
        "The rights of the data subject.",
    ),
    "az-998-art-7-2": (
        "Law on Personal Data, art. 7.2",
        "Fərdi məlumatlar haqqında Qanun, maddə 7.2",
        LAW_998_URL,
        False,
        "",
    ),
    "az-998-art-7-2-1": (
        "Law on Personal Data, art. 7.2.1",
        "Fərdi məlumatlar haqqında Qanun, maddə 7.2.1",
        LAW_998_URL,
        False,
        "",
    ),
    "az-998-art-7-2-2": (
        "Law on Personal Data, art. 7.2.2",
        "Fərdi məlumatlar haqqında Qanun, maddə 7.2.2",
        LAW_998_URL,
        False,
        "",
    ),
    "az-998-art-7-2-3": (
        "Law on Personal Data, art. 7.2.3",
        "Fərdi məlumatlar haqqında Qanun, maddə 7.2.3",
        LAW_998_URL,
        False,
        "",
    ),
    "az-998-art-7-2-4": (
        "Law on Personal Data, art. 7.2.4",
        "Fərdi məlumatlar haqqında Qanun, maddə 7.2.4",
        LAW_998_URL,
        False,
        "",
    ),
    "az-998-art-7-2-5": (
        "Law on Personal Data, art. 7.2.5",
        "Fərdi məlumatlar haqqında Qanun, maddə 7.2.5",
        LAW_998_URL,
        False,
        "",
    ),
    "az-998-art-7-2-5-9-4": (
        "Law on Personal Data, art. 7.2.5 and 9.4",
        "Fərdi məlumatlar haqqında Qanun, maddə 7.2.5 və 9.4",
        LAW_998_URL,
        False,
        "",
    ),
    "az-998-art-7-2-6": (
        "Law on Personal Data, art. 7.2.6",
        "Fərdi məlumatlar haqqında Qanun, maddə 7.2.6",
        LAW_998_URL,
        False,
        "",
    ),
    "az-998-art-7-2-7": (
        "Law on Personal Data, art. 7.2.7",
        "Fərdi məlumatlar haqqında Qanun, maddə 7.2.7",
        LAW_998_URL,
        False,
        "",
    ),
    "az-998-art-7-3": (
        "Law on Personal Data, art. 7.3",
        "Fərdi məlumatlar haqqında Qanun, maddə 7.3",
        LAW_998_URL,
        False,
        "",
    ),
    "az-998-art-7-2-policy": (
        "Law on Personal Data, art. 7.2; privacy policy 8.3–8.4",
        "Fərdi məlumatlar haqqında Qanun, maddə 7.2; məxfilik siyasəti 8.3–8.4",
        LAW_998_URL,
        False,
        "",
    ),
    "az-998-art-8": (
        "Law on Personal Data, art. 8",
        "Fərdi məlumatlar haqqında Qanun, maddə 8",
        LAW_998_URL,
        False,
        "",
    ),
    "az-998-art-12": (
        "Law on Personal Data, art. 12",
        "Fərdi məlumatlar haqqında Qanun, maddə 12",
        LAW_998_URL,
        False,
        "7 working days to answer, 7 more where a third party must supply data, a reasoned "
        "refusal within 5 working days (found in secondary sources only).",
    ),
    "az-aml-record-keeping": (
        "AML/CFT law: record keeping for at least 5 years after the relationship ends",
        "Cinayət yolu ilə əldə edilmiş pul vəsaitlərinin leqallaşdırılmasına və terrorçuluğun "
        "maliyyələşdirilməsinə qarşı mübarizə haqqında Qanun: münasibət bitdikdən sonra ən azı "
        "5 il saxlama",
        "https://e-qanun.az/framework/36941",
        False,
        "",
    ),
    "az-tax-code-71-4": (
        "Tax Code, art. 71.4",
        "Vergi Məcəlləsi, maddə 71.4",
        "https://e-qanun.az/framework/46955",
        True,
        "Accounting documents are kept for at least 5 years.",
    ),
    "az-civil-code-373": (
        "Civil Code, art. 373",
        "Mülki Məcəllə, maddə 373",
        "https://e-qanun.az/framework/46944",
        True,
        "Limitation: 10 years in general; 3 years for contract claims; 6 years for claims on "
        "immovable property.",
    ),
    "az-labour-code-105": (
        "Labour Code, art. 105",
        "Əmək Məcəlləsi, maddə 105",
        "https://e-qanun.az/framework/46943",
        True,
        "Public holidays; a holiday falling on a rest day is carried to the next working day "
        "(105.5); the Cabinet fixes the next year's bayram dates by the end of December (105.4).",
    ),
    "az-aoc-375": (
        "Administrative Offences Code, art. 375",
        "İnzibati Xətalar Məcəlləsi, maddə 375",
        "https://e-qanun.az/framework/46960",
        True,
        "AZN 300–500 for processing personal data in an unregistered information system, or "
        "failing to destroy data when the law requires.",
    ),
    "az-aoc-375-0-1": (
        "Administrative Offences Code, art. 375.0.1",
        "İnzibati Xətalar Məcəlləsi, maddə 375.0.1",
        "https://e-qanun.az/framework/46960",
        True,
        "Processing personal data in an information system not entered in the state register: "
        "AZN 300–500.",
    ),
    "az-state-register-regulations": (
        "Regulations on the state register of information resources and systems",
        "İnformasiya ehtiyatlarının və sistemlərinin dövlət reyestri haqqında Əsasnamə",
        "Regulations on the state register of information resources (Cabinet of Ministers)",
        False,
        "Systems holding data on 1,000 or more subjects are registered within 20 days of "
        "their creation.",
    ),
}

_GDPR = {
    "12-3": "12(3)",
    "12-4": "12(4)",
    "15-1": "15(1)",
    "13-1-c-14-1-c-15-1": "13(1)(c), 14(1)(c), 15(1)",
    "15-1-3": "15(1) and (3)",
    "15-1-a-d": "15(1)(a)–(d)",
    "16": "16",
    "17": "17",
    "17-3-89": "17(3) and 89",
    "15-1-g": "15(1)(g)",
    "32-77": "32 and 77",
    "7-3": "7(3)",
    "21": "21",
    "18": "18",
    "20": "20",
    "11-2-12-2-12-6": "11(2) and 12(2), 12(6)",
    "12-5-b": "12(5)(b)",
    "17-3-b": "17(3)(b)",
    "17-3-e-18-2-21-1": "17(3)(e), 18(2), 21(1)",
    "17-3-a": "17(3)(a)",
    "17-3-d-89-1": "17(3)(d) and 89(1)",
    "21-1": "21(1)",
    "15-4-20-4": "15(4) and 20(4)",
    "23": "23",
    "20-1-21-1": "20(1) and 21(1)",
    **{f"6-1-{letter}": f"6(1)({letter})" for letter in "abcdef"},
}
REFERENCES["gdpr"] = (
    "Regulation (EU) 2016/679 (General Data Protection Regulation)",
    "(Aİ) 2016/679 saylı Reqlament (Fərdi məlumatların mühafizəsi üzrə Ümumi Reqlament)",
    GDPR_URL,
    True,
    "",
)
for _code, _article in _GDPR.items():
    REFERENCES[f"gdpr-art-{_code}"] = (
        f"GDPR Art. {_article}",
        f"GDPR maddə {_article.replace(' and ', ' və ')}",
        GDPR_URL,
        True,
        "",
    )

# kind: (description en, description az)
KIND_DESCRIPTIONS = {
    "existence": ("Whether we hold data about you.", "Haqqınızda məlumat saxlayıb-saxlamadığımız."),
    "legal_basis": (
        "On what legal basis we process your data and what follows from it.",
        "Məlumatlarınızı hansı hüquqi əsasla emal etdiyimiz və bunun nəticələri.",
    ),
    "access": (
        "A copy of the data we hold about you.",
        "Haqqınızda saxladığımız məlumatların surəti.",
    ),
    "purposes_and_access": (
        "Why and how we process your data, and who can see it.",
        "Məlumatlarınızı niyə və necə emal etdiyimiz, kimin onlara çıxışı olduğu.",
    ),
    "correction": (
        "Correct data that is wrong or incomplete.",
        "Səhv və ya natamam məlumatların düzəldilməsi.",
    ),
    "deletion": ("Delete your data.", "Məlumatlarınızın silinməsi."),
    "archiving": ("Move your data to an archive.", "Məlumatlarınızın arxivə keçirilməsi."),
    "sources": (
        "Where your data came from and whether it was obtained lawfully.",
        "Məlumatlarınızın haradan alındığı və qanuni alınıb-alınmadığı.",
    ),
    "protection": ("How your data is protected.", "Məlumatlarınızın necə qorunduğu."),
    "consent_withdrawal": (
        "Withdraw a consent you gave; what was done before stays lawful.",
        "Verdiyiniz razılığın geri götürülməsi; ondan əvvəlki emal qanuni qalır.",
    ),
    "objection": ("Object to our processing of your data.", "Məlumatlarınızın emalına etiraz."),
    "restriction": (
        "Have us keep your data without using it for a while.",
        "Məlumatlarınızın bir müddət istifadə edilmədən saxlanılması.",
    ),
    "portability": (
        "Receive your data in a machine-readable form or have it sent to another controller.",
        "Məlumatlarınızı maşınla oxunan formada almaq və ya başqa nəzarətçiyə ötürtmək.",
    ),
}

AZ_KINDS = {
    "existence": "az-998-art-7-2-1",
    "legal_basis": "az-998-art-7-2-2",
    "access": "az-998-art-7-2-3",
    "purposes_and_access": "az-998-art-7-2-4",
    "correction": "az-998-art-7-2-5",
    "deletion": "az-998-art-7-2-5-9-4",
    "archiving": "az-998-art-7-2-5",
    "sources": "az-998-art-7-2-6",
    "protection": "az-998-art-7-2-7",
    "consent_withdrawal": "az-998-art-8",
    "objection": "az-998-art-7",
    "restriction": "az-998-art-7-2-5",
}
GDPR_KINDS = {
    "existence": "gdpr-art-15-1",
    "legal_basis": "gdpr-art-13-1-c-14-1-c-15-1",
    "access": "gdpr-art-15-1-3",
    "purposes_and_access": "gdpr-art-15-1-a-d",
    "correction": "gdpr-art-16",
    "deletion": "gdpr-art-17",
    "archiving": "gdpr-art-17-3-89",
    "sources": "gdpr-art-15-1-g",
    "protection": "gdpr-art-32-77",
    "consent_withdrawal": "gdpr-art-7-3",
    "objection": "gdpr-art-21",
    "restriction": "gdpr-art-18",
    "portability": "gdpr-art-20",
}

# The same codes and references as requests/refusals.py: (code, label en, label az, reference).
AZ_REFUSAL_GROUNDS = [
    (
        "identity_not_established",
        "The requester's identity could not be established",
        "Müraciət edənin şəxsiyyəti müəyyən edilə bilmədi",
        "az-998-art-7-2-policy",
    ),
    (
        "legal_obligation_to_keep",
        "A law obliges the organisation to keep the data",
        "Qanun təşkilatı məlumatları saxlamağa borclu edir",
        "az-aml-record-keeping",
    ),
    (
        "tax_records",
        "The data belongs to tax records that must be kept",
        "Məlumatlar saxlanılmalı olan vergi sənədlərinə aiddir",
        "az-tax-code-71-4",
    ),
    (
        "legal_claims",
        "The data is needed for a pending claim or court case",
        "Məlumatlar davam edən iddia və ya məhkəmə işi üçün lazımdır",
        "az-civil-code-373",
    ),
    (
        "state_security_or_crime",
        "Disclosure would harm state security, defence or the prevention of crime",
        "Açıqlanma dövlət təhlükəsizliyinə, müdafiəyə və ya cinayətlərin qarşısının alınmasına "
        "zərər vurar",
        "az-998-art-7-3",
    ),
    (
        "rights_of_others",
        "Disclosure would harm the rights and freedoms of other persons",
        "Açıqlanma başqa şəxslərin hüquq və azadlıqlarına zərər vurar",
        "az-998-art-7-3",
    ),
    (
        "right_not_applicable",
        "The right asked for does not apply to this processing",
        "İstənilən hüquq bu emala şamil edilmir",
        "az-998-art-7-2",
    ),
]
GDPR_REFUSAL_GROUNDS = [
    (
        "identity_not_established",
        "The requester's identity could not be established",
        "Müraciət edənin şəxsiyyəti müəyyən edilə bilmədi",
        "gdpr-art-11-2-12-2-12-6",
    ),
    (
        "manifestly_unfounded_or_excessive",
        "The request is manifestly unfounded or excessive",
        "Müraciət açıq-aşkar əsassız və ya həddən artıqdır",
        "gdpr-art-12-5-b",
    ),
    (
        "legal_obligation_to_keep",
        "A law obliges the organisation to keep the data",
        "Qanun təşkilatı məlumatları saxlamağa borclu edir",
        "gdpr-art-17-3-b",
    ),
    (
        "legal_claims",
        "The data is needed for legal claims",
        "Məlumatlar hüquqi iddialar üçün lazımdır",
        "gdpr-art-17-3-e-18-2-21-1",
    ),
    (
        "freedom_of_expression",
        "Freedom of expression and information",
        "İfadə və məlumat azadlığı",
        "gdpr-art-17-3-a",
    ),
    (
        "public_interest_archiving",
        "Archiving in the public interest, research or statistics",
        "İctimai maraq naminə arxivləşdirmə, tədqiqat və ya statistika",
        "gdpr-art-17-3-d-89-1",
    ),
    (
        "compelling_legitimate_grounds",
        "Compelling legitimate grounds override the objection",
        "Əsaslı qanuni səbəblər etirazdan üstündür",
        "gdpr-art-21-1",
    ),
    (
        "rights_of_others",
        "Disclosure would adversely affect the rights and freedoms of others",
        "Açıqlanma başqalarının hüquq və azadlıqlarına mənfi təsir edər",
        "gdpr-art-15-4-20-4",
    ),
    (
        "restricted_by_law",
        "A Union or Member State law restricts the right",
        "Aİ və ya üzv dövlətin qanunu hüququ məhdudlaşdırır",
        "gdpr-art-23",
    ),
    (
        "right_not_applicable",
        "The right asked for does not apply to this processing",
        "İstənilən hüquq bu emala şamil edilmir",
        "gdpr-art-20-1-21-1",
    ),
]

REGIMES = {
    "az": (
        "Azerbaijan: Law on Personal Data (998-IIIQ)",
        "Azərbaycan: Fərdi məlumatlar haqqında Qanun (998-IIIQ)",
    ),
    "gdpr": (
        "EU: General Data Protection Regulation",
        "Aİ: Fərdi məlumatların mühafizəsi üzrə Ümumi Reqlament",
    ),
}

# Today's figures (they were requests/deadlines.py's DEFAULT_RULES).
VERSIONS = {
    "az": {
        "name_en": "Law No. 998-IIIQ (2010)",
        "name_az": "998-IIIQ nömrəli Qanun (2010)",
        "law": "az-998",
        "effective_from": datetime.date(2010, 5, 11),
        "calendar_country": "AZ",
        "answer_count": 7,
        "answer_unit": "working_days",
        "counting_starts": "next_working_day",
        "answer_reference": "az-998-art-12",
        "third_party_extension_count": 7,
        "third_party_extension_unit": "working_days",
        "max_extension_count": 0,
        "max_extension_unit": "months",
        "extension_notice_count": 0,
        "extension_notice_unit": "months",
        "extension_reference": "az-998-art-12",
        "refusal_count": 5,
        "refusal_unit": "working_days",
        "refusal_reference": "az-998-art-12",
        "kinds": AZ_KINDS,
        "grounds": AZ_REFUSAL_GROUNDS,
    },
    "gdpr": {
        "name_en": "Regulation (EU) 2016/679",
        "name_az": "(Aİ) 2016/679 saylı Reqlament",
        "law": "gdpr",
        "effective_from": datetime.date(2018, 5, 25),
        "calendar_country": "AZ",
        "answer_count": 1,
        "answer_unit": "months",
        "counting_starts": "receipt_day",
        "answer_reference": "gdpr-art-12-3",
        "third_party_extension_count": 0,
        "third_party_extension_unit": "working_days",
        "max_extension_count": 2,
        "max_extension_unit": "months",
        "extension_notice_count": 1,
        "extension_notice_unit": "months",
        "extension_reference": "gdpr-art-12-3",
        "refusal_count": 0,
        "refusal_unit": "months",
        "refusal_reference": "gdpr-art-12-4",
        "kinds": GDPR_KINDS,
        "grounds": GDPR_REFUSAL_GROUNDS,
    },
}

REGISTRATION_RULE = {
    "country": "AZ",
    "subject_threshold": 1000,
    "days_to_file": 20,
    "filing_reference": "az-state-register-regulations",
    "fine_min_azn": 300,
    "fine_max_azn": 500,
    "fine_reference": "az-aoc-375-0-1",
}

# Legal bases (consent.LegalBasis, by regime and kind) and the reference they cite. The
# Azerbaijani bases cite the law as a whole: seed 000 names no article.
LEGAL_BASIS_REFERENCES = {
    ("az", kind): "az-998"
    for kind in ("consent", "public_data", "contract", "legal_obligation", "legitimate_interests")
} | {
    ("gdpr", kind): f"gdpr-art-6-1-{letter}"
    for kind, letter in zip(
        ("consent", "contract", "legal_obligation", "vital_interests", "public_task",
         "legitimate_interests"),
        "abcdef",
        strict=True,
    )
}  # fmt: skip

VERSION_FIGURES = [
    name for name in VERSIONS["az"] if name not in ("kinds", "grounds", "name_en", "name_az")
]


def load(apps, schema_editor=None):
    """Create what is missing; leave every existing row as it is."""
    Reference = apps.get_model("legal", "LegalReference")
    Regime = apps.get_model("legal", "Regime")
    Version = apps.get_model("legal", "RegimeVersion")
    Kind = apps.get_model("legal", "RequestKindOffer")
    Ground = apps.get_model("legal", "RefusalGround")
    Registration = apps.get_model("legal", "RegistrationRule")

    references = {}
    for code, (en, az, source, verified, text) in REFERENCES.items():
        is_url = source.startswith("http")
        references[code], _created = Reference.objects.get_or_create(
            code=code,
            defaults={
                "citation_en": en,
                "citation_az": az,
                "text": text,
                "source_url": source if is_url else "",
                "source_document": "" if is_url else source,
                "verified_on": SHIPPED_ON if verified else None,
                "verified_by_name": SHIPPED_BY if verified else "",
            },
        )
    for code, (en, az) in REGIMES.items():
        regime, _created = Regime.objects.get_or_create(
            code=code, defaults={"name_en": en, "name_az": az}
        )
        spec = VERSIONS[code]
        version, created = Version.objects.get_or_create(
            regime=regime,
            effective_from=spec["effective_from"],
            defaults={
                **{k: v for k, v in spec.items() if k not in ("kinds", "grounds")},
                **{
                    k: references[spec[k]]
                    for k in ("law", "answer_reference", "extension_reference", "refusal_reference")
                },
            },
        )
        if not created:
            continue
        for kind, reference in spec["kinds"].items():
            en, az = KIND_DESCRIPTIONS[kind]
            Kind.objects.create(
                version=version,
                kind=kind,
                reference=references[reference],
                description_en=en,
                description_az=az,
            )
        for ground_code, en, az, reference in spec["grounds"]:
            Ground.objects.create(
                version=version,
                code=ground_code,
                label_en=en,
                label_az=az,
                reference=references[reference],
            )
    rule = dict(REGISTRATION_RULE)
    Registration.objects.get_or_create(
        country=rule.pop("country"),
        defaults={
            **rule,
            "filing_reference": references[rule["filing_reference"]],
            "fine_reference": references[rule["fine_reference"]],
        },
    )
