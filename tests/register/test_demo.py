"""The demo register: both reference customers as their policies describe them, realistic
subjects that pass the portal's own validation, one demo user per role, loaded once."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from dpo_portal.register import demo
from dpo_portal.register.models import (
    DataCategory,
    DataSubject,
    Membership,
    Organisation,
    Recipient,
    Role,
    Sensitivity,
    System,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = io.StringIO()
    demo.load(stdout=out, subjects_per_organisation=200)
    return out.getvalue()


def test_both_reference_customers_are_built_from_their_policies(loaded):
    allall = Organisation.objects.get(slug="allall")
    qonshu = Organisation.objects.get(slug="qonshu")

    assert (allall.tax_id, allall.legal_form, allall.language_list) == (
        "1806806881",
        "MMC",
        ["az", "en"],
    )
    assert "Sabunçu" in allall.address
    assert qonshu.dpo_email == "info@qonshuapp.az"
    # Seed 000 section 3.1 a) to j), seed 003 sections 4.1 to 4.4.
    top_level = DataCategory.objects.filter(parent=None)
    assert top_level.filter(organisation=allall).count() == 10
    assert set(top_level.filter(organisation=qonshu).values_list("code", flat=True)) == {
        "electronic",
        "personal",
        "account",
        "voluntary",
    }
    assert DataCategory.objects.get(organisation=allall, code="financial").sensitivity == (
        Sensitivity.FINANCIAL
    )
    assert Recipient.objects.get(organisation=allall, code="akb").category == "credit_bureau"


def test_the_register_has_the_gaps_the_dashboard_shows(loaded):
    assert System.objects.needing_registration().exists()
    assert System.objects.filter(owner="").exists()
    assert Recipient.objects.review_overdue().exists()
    assert Recipient.objects.contract_expiring(within_days=60).exists()
    assert Recipient.objects.abroad().filter(country="DE").exists()


def test_synthetic_subjects_pass_validation_and_are_unique(loaded):
    subjects = DataSubject.objects.all()

    assert subjects.count() == 400
    fins = list(subjects.values_list("fin", flat=True))
    assert len(set(fins)) == len(fins)
    for subject in subjects[:50]:
        subject.full_clean()  # FIN, ID document, e-mail formats
        assert subject.phone.startswith(("+99450", "+99451", "+99455", "+99470", "+99477"))


def test_one_demo_user_per_role_and_one_in_both_organisations(loaded):
    roles = {
        (m.user.username, m.organisation.slug): m.role
        for m in Membership.objects.select_related("user", "organisation")
    }

    assert roles[("demo-dpo", "allall")] == Role.DPO
    assert roles[("demo-compliance", "allall")] == Role.COMPLIANCE
    assert roles[("demo-manager", "allall")] == Role.MANAGER
    assert roles[("demo-auditor", "qonshu")] == Role.AUDITOR
    assert roles[("demo-dpo-both", "allall")] == roles[("demo-dpo-both", "qonshu")] == Role.DPO
    admin = get_user_model().objects.get(username="demo-admin")
    assert admin.is_superuser and admin.check_password(demo.settings.DEMO_PASSWORD)


def test_loading_twice_adds_nothing(loaded, settings):
    settings.DEBUG = True  # as under `make run`: the command refuses a production database
    counts = [model.objects.count() for model in (Organisation, DataSubject, Membership)]

    out = io.StringIO()
    call_command("load_demo", "--subjects", "50", stdout=out)

    assert [model.objects.count() for model in (Organisation, DataSubject, Membership)] == counts
    assert "nothing added" in out.getvalue()
