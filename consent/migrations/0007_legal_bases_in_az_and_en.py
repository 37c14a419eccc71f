"""The seeded legal bases in both languages.

0003 seeded them in one language each (Azerbaijani names with English descriptions for the
Azerbaijani law, English for the GDPR). A row still carrying its seeded text gets both
languages; a row the DPO has edited since is left as it is.
"""

from django.db import migrations

# regime, kind: (name az, name en, description az, description en)
BASES = {
    ("az", "consent"): (
        "Subyektin razılığı",
        "Consent of the data subject",
        "Məlumat subyektinin yazılı və ya elektron (gücləndirilmiş elektron imza ilə) razılığı "
        "əsasında emal.",
        "Processing with the data subject's written or electronic consent (enhanced e-signature).",
    ),
    ("az", "public_data"): (
        "Açıq kateqoriyalı fərdi məlumatlar",
        "Public personal data",
        "Məlumat açıqdır: subyekt tərəfindən açıqlanıb və ya açıq informasiya sistemindədir.",
        "The data is public: made public by the subject or held in a public information system.",
    ),
    ("az", "contract"): (
        "Subyektlə bağlanmış müqavilənin icrası",
        "Performance of a contract with the data subject",
        "Məlumat subyekti ilə bağlanmış müqavilənin icrası üçün zəruridir.",
        "Needed to perform the contract concluded with the data subject.",
    ),
    ("az", "legal_obligation"): (
        "Emalın məqsədini və üsullarını müəyyən edən qanun",
        "A law that sets the purposes and methods of processing",
        "Emalın məqsədlərini və üsullarını qanun müəyyən edir (ÇL/TMM, vergi, dövlət orqanları).",
        "A law sets the purposes and methods of the processing (AML/CFT, tax, state bodies).",
    ),
    ("az", "legitimate_interests"): (
        "Mülkiyyətçinin və ya üçüncü tərəfin qanuni maraqları",
        "Legitimate interests of the controller or a third party",
        "Mülkiyyətçinin və ya üçüncü tərəfin qanuni maraqları üçün zəruridir; yazılı "
        "balanslaşdırma qiymətləndirməsi tələb olunur.",
        "Needed for the legitimate interests of the controller or a third party; needs a written "
        "balancing assessment.",
    ),
    ("gdpr", "consent"): (
        "Razılıq",
        "Consent",
        "Məlumat subyekti razılıq verib.",
        "The data subject has given consent.",
    ),
    ("gdpr", "contract"): (
        "Müqavilənin icrası",
        "Performance of a contract",
        "Məlumat subyekti ilə müqavilə və ya onu bağlamazdan əvvəlki addımlar üçün zəruridir.",
        "Necessary for a contract with the data subject or steps before entering into it.",
    ),
    ("gdpr", "legal_obligation"): (
        "Hüquqi öhdəlik",
        "Legal obligation",
        "Nəzarətçinin hüquqi öhdəliyinə əməl etmək üçün zəruridir.",
        "Necessary for compliance with a legal obligation of the controller.",
    ),
    ("gdpr", "vital_interests"): (
        "Həyati maraqlar",
        "Vital interests",
        "Məlumat subyektinin və ya başqa şəxsin həyati maraqlarını qorumaq üçün zəruridir.",
        "Necessary to protect the vital interests of the data subject or another person.",
    ),
    ("gdpr", "public_task"): (
        "İctimai vəzifə",
        "Public task",
        "İctimai maraq naminə və ya rəsmi səlahiyyətin həyata keçirilməsi üçün zəruridir.",
        "Necessary for a task in the public interest or in the exercise of official authority.",
    ),
    ("gdpr", "legitimate_interests"): (
        "Qanuni maraqlar",
        "Legitimate interests",
        "Subyektin maraqları və ya hüquqları üstün gəlmədikcə, nəzarətçinin və ya üçüncü tərəfin "
        "qanuni maraqları üçün zəruridir.",
        "Necessary for the legitimate interests of the controller or a third party, unless "
        "overridden by the interests or rights of the data subject.",
    ),
}


def translate_seeded_bases(apps, schema_editor):
    LegalBasis = apps.get_model("consent", "LegalBasis")
    for basis in LegalBasis.objects.all():
        texts = BASES.get((basis.regime, basis.kind))
        if texts is None:
            continue
        name_az, name_en, description_az, description_en = texts
        if basis.name_az in (name_az, name_en):  # still the seeded text
            basis.name_az, basis.name_en = name_az, name_en
        if basis.description_az in (description_az, description_en):
            basis.description_az, basis.description_en = description_az, description_en
        basis.save(update_fields=["name_az", "name_en", "description_az", "description_en"])


class Migration(migrations.Migration):
    dependencies = [('consent', '0006_register_content_in_az_and_en')]

    operations = [migrations.RunPython(translate_seeded_bases, migrations.RunPython.noop)]
