"""Seed the legal bases of both regimes.

Azerbaijan: the grounds the Law on Personal Data (No. 998-IIIQ of 11 May 2010) admits, in the
words of seed 000 section 6.1 (a: consent or public data, b: contract, c: a law that sets the
purpose and methods, d: legitimate interests). GDPR: Art. 6(1)(a)-(f). Rows are matched by
(regime, kind), so running this again, or after an edit in the admin, adds nothing twice; the
text of an existing row is left as the DPO edited it.
"""

from django.db import migrations

# The Law "On Personal Data" No. 998-IIIQ of 11 May 2010, and the clause of seed 000 (IT0101).
AZ_LAW = "Qanun № 998-IIIQ"

BASES = [
    # regime, kind, name, article, description
    (
        "az",
        "consent",
        "Subyektin razılığı",
        f"{AZ_LAW}; IT0101, 6.1 a)",
        "Processing with the data subject's written or electronic consent (enhanced e-signature).",
    ),
    (
        "az",
        "public_data",
        "Açıq kateqoriyalı fərdi məlumatlar",
        f"{AZ_LAW}; IT0101, 6.1 a)",
        "The data is public: made public by the subject or held in a public information system.",
    ),
    (
        "az",
        "contract",
        "Subyektlə bağlanmış müqavilənin icrası",
        f"{AZ_LAW}; IT0101, 6.1 b)",
        "Needed to perform the contract concluded with the data subject.",
    ),
    (
        "az",
        "legal_obligation",
        "Emalın məqsədini və üsullarını müəyyən edən qanun",
        f"{AZ_LAW}; IT0101, 6.1 c)",
        "A law sets the purposes and methods of the processing (AML/CFT, tax, state bodies).",
    ),
    (
        "az",
        "legitimate_interests",
        "Mülkiyyətçinin və ya üçüncü tərəfin qanuni maraqları",
        f"{AZ_LAW}; IT0101, 6.1 d)",
        "Needed for the legitimate interests of the controller or a third party; needs a written "
        "balancing assessment.",
    ),
    ("gdpr", "consent", "Consent", "GDPR Art. 6(1)(a)", "The data subject has given consent."),
    (
        "gdpr",
        "contract",
        "Performance of a contract",
        "GDPR Art. 6(1)(b)",
        "Necessary for a contract with the data subject or steps before entering into it.",
    ),
    (
        "gdpr",
        "legal_obligation",
        "Legal obligation",
        "GDPR Art. 6(1)(c)",
        "Necessary for compliance with a legal obligation of the controller.",
    ),
    (
        "gdpr",
        "vital_interests",
        "Vital interests",
        "GDPR Art. 6(1)(d)",
        "Necessary to protect the vital interests of the data subject or another person.",
    ),
    (
        "gdpr",
        "public_task",
        "Public task",
        "GDPR Art. 6(1)(e)",
        "Necessary for a task in the public interest or in the exercise of official authority.",
    ),
    (
        "gdpr",
        "legitimate_interests",
        "Legitimate interests",
        "GDPR Art. 6(1)(f)",
        "Necessary for the legitimate interests of the controller or a third party, unless "
        "overridden by the interests or rights of the data subject.",
    ),
]


def seed(apps, schema_editor):
    LegalBasis = apps.get_model("consent", "LegalBasis")
    for regime, kind, name, article, description in BASES:
        LegalBasis.objects.get_or_create(
            regime=regime,
            kind=kind,
            defaults={"name": name, "article": article, "description": description},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0002_indexes_and_querysets"),
    ]

    operations = [
        # Unapplying keeps the rows: activities may point to them.
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
