"""Register content travels in the language of the document: the access package and the letters
in Azerbaijani carry the Azerbaijani names of categories, systems, sources, recipients,
activities, legal bases and retention rules, and no English ones; in English the other way round.
"""

import io
import json
import zipfile

import pytest
from django.utils import translation

from consent.demo_az import CONSENT_AZ
from consent.models import BasisKind, LegalBasis
from dpo_portal.register.demo_languages import REGISTER_AZ, both
from dpo_portal.register.models import RecipientCategory, SourceKind
from requests import access, letters
from requests.fulfilment import open_tasks_for
from requests.models import RequestKind
from retention.demo_az import RETENTION_AZ
from tests.consent.helpers import make_activity
from tests.factories import make_category, make_recipient, make_source, make_system
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_person,
    make_record,
    make_request,
)
from tests.retention.helpers import make_rule

GLOSSARY = {**REGISTER_AZ, **CONSENT_AZ, **RETENTION_AZ}

# English register texts whose Azerbaijani translation differs (so that either can be told apart).
SYSTEMS = ["Loan management system (core)", "Call recording"]
CATEGORIES = ["Basic identity data", "Recorded phone calls"]
SOURCES = ["ASAN service", "Tax authorities"]
RECIPIENTS = ["Data-centre storage provider", "Competent state bodies and officials"]
ACTIVITY = ("Service contracts", "5.1 a) Conclude and perform the contract for the services.")
RULE = ("Loan contracts", "Civil Code, art. 373: limitation period (6 years)")


def build_bilingual_world():
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    systems = [
        make_system(organisation, f"sys{n}", **both(GLOSSARY, name=name))
        for n, name in enumerate(SYSTEMS)
    ]
    categories = [
        make_category(organisation, f"cat{n}", **both(GLOSSARY, name=name))
        for n, name in enumerate(CATEGORIES)
    ]
    sources = [
        make_source(
            organisation, f"src{n}", kind=SourceKind.STATE_SYSTEM, **both(GLOSSARY, name=n_)
        )
        for n, n_ in enumerate(SOURCES)
    ]
    recipients = [
        make_recipient(
            organisation,
            f"rcp{n}",
            category=RecipientCategory.STATE_BODY,
            **both(GLOSSARY, name=name),
        )
        for n, name in enumerate(RECIPIENTS)
    ]
    activity = make_activity(
        organisation,
        "contract",
        basis_kind=BasisKind.CONTRACT,
        **both(GLOSSARY, name=ACTIVITY[0], purpose=ACTIVITY[1]),
    )
    activity.sources.add(*sources)
    activity.recipients.add(*recipients)
    rule = make_rule(
        organisation,
        category=categories[0],
        **both(GLOSSARY, name=RULE[0], legal_reference=RULE[1]),
    )
    for system, category in zip(systems, categories, strict=True):
        make_record(person, system, category, activity=activity, rule=rule)
    return organisation, dpo, person


def english_and_azerbaijani_texts(organisation):
    basis = LegalBasis.objects.get(regime=organisation.regime, kind=BasisKind.CONTRACT)
    english = [*SYSTEMS, *CATEGORIES, *SOURCES, *RECIPIENTS, *ACTIVITY, *RULE]
    azerbaijani = [GLOSSARY[text] for text in english]
    return english + [basis.name_en], azerbaijani + [basis.name_az]


def package_text(request, language):
    content, _facts = access.build_package(request, language=language)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        html = archive.read("access-package.html").decode()
        data = json.loads(archive.read("access-package.json"))
    return html + json.dumps(data, ensure_ascii=False)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["az", "en"])
def test_access_package_names_the_register_in_its_own_language_only(language):
    organisation, dpo, person = build_bilingual_world()
    request = make_request(person, actor=dpo, kind=RequestKind.ACCESS)
    english, azerbaijani = english_and_azerbaijani_texts(organisation)
    wanted, unwanted = (azerbaijani, english) if language == "az" else (english, azerbaijani)

    # The interface language of whoever starts the package must not matter.
    with translation.override("en" if language == "az" else "az"):
        text = package_text(request, language)

    for name in wanted:
        assert name in text, name
    for name in unwanted:
        assert name not in text, name


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["az", "en"])
def test_letters_name_the_systems_in_the_letters_language_only(language):
    organisation, dpo, person = build_bilingual_world()
    request = make_request(person, actor=dpo, kind=RequestKind.DELETION)
    open_tasks_for(request, actor=dpo)
    request.refresh_from_db()

    with translation.override("en" if language == "az" else "az"):
        letter = letters.create_letter(request, language=language, actor=dpo)

    az_systems = [GLOSSARY[name] for name in SYSTEMS]
    wanted, unwanted = (az_systems, SYSTEMS) if language == "az" else (SYSTEMS, az_systems)
    for name in wanted:
        assert name in letter.body, name
    for name in unwanted:
        assert name not in letter.body, name
