"""A controller's own details (DPO contact, address, languages) are edited in the admin by those
allowed to, and refused to the others; history pages exist only where history is kept."""

import pytest
from django.urls import reverse

from dpo_portal.register.models import Role
from tests.factories import make_organisation, make_user
from tests.register.helpers import log_in

pytestmark = pytest.mark.django_db


def _form(organisation, **changes):
    data = {
        "name": organisation.name,
        "slug": organisation.slug,
        "legal_form": organisation.legal_form,
        "tax_id": organisation.tax_id,
        "address": organisation.address,
        "country": organisation.country,
        "dpo_name": organisation.dpo_name,
        "dpo_email": organisation.dpo_email,
        "dpo_phone": organisation.dpo_phone,
        "regime": organisation.regime,
        "languages": organisation.languages,
        "_save": "Save",
    }
    return {**data, **changes}


def test_a_dpo_edits_their_organisations_dpo_contact_and_an_auditor_may_not(client):
    organisation = make_organisation(name='"AllAll Finance" MMC', languages="az")
    url = reverse("admin:register_organisation_change", args=[organisation.pk])

    log_in(client, make_user(Role.DPO, organisation))
    response = client.post(url, _form(organisation, dpo_email="new-dpo@allall.demo"))
    assert response.status_code == 302, response.content.decode()[:2000]
    organisation.refresh_from_db()
    assert organisation.dpo_email == "new-dpo@allall.demo"

    log_in(client, make_user(Role.AUDITOR, organisation))
    response = client.post(url, _form(organisation, dpo_email="auditor@allall.demo"))
    assert response.status_code == 403
    organisation.refresh_from_db()
    assert organisation.dpo_email == "new-dpo@allall.demo"


def test_history_is_offered_only_on_models_that_keep_it(client):
    from dpo_portal.jobs.models import Job

    organisation = make_organisation()
    job = Job.objects.create(kind="retention.sweep", organisation=organisation)
    log_in(client, make_user(Role.DPO, organisation))

    organisation_page = client.get(
        reverse("admin:register_organisation_change", args=[organisation.pk])
    ).content.decode()
    assert 'class="historylink"' in organisation_page
    job_page = client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert 'class="historylink"' not in job_page
    assert client.get(reverse("admin:jobs_job_history", args=[job.pk])).status_code == 404
