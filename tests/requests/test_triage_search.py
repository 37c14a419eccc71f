"""The triage search finds the case the way a DPO on the phone has it: part of the reference, any
part of the name with or without Azerbaijani letters, the e-mail, the phone or FIN however typed,
or the matched subject's identifiers; never another organisation's request; in constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests import services
from tests.factories import Role, make_organisation, make_subject, make_user
from tests.requests.helpers import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(client):
    organisation = make_organisation(languages="en")
    other = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    outsider_dpo = make_user(Role.DPO, other)
    case = make_request(
        organisation,
        requester_name="Şəfiqə Gülnarə Çələbiyeva-Öztürk",
        requester_email="Shafiga.C@Example.AZ",
        requester_phone="+994 50 321 45 67",
        requester_fin="5zk8r2t",
        requester_id_document="AZE 1234 5678",
    )
    subject = make_subject(
        organisation,
        first_name="Şəfiqə",
        last_name="Çələbiyeva",
        fin="7QK3RZ9",
        email="s.celebiyeva@bank.az",
        phone="+994557654321",
        id_document_number="AA7654321",
    )
    services.match_subject(case, subject, actor=dpo)
    make_request(organisation, requester_name="Rauf Əliyev", requester_email="rauf@example.az")
    # The same person asked another organisation too: only that organisation's DPO sees it.
    foreign = make_request(other, requester_name="Şəfiqə Çələbiyeva", requester_fin="5ZK8R2T")
    return client, dpo, outsider_dpo, case, foreign, organisation


def found(client, query, **params):
    response = client.get(
        reverse("admin:requests_subjectrequest_changelist"), {"q": query, "state": "all", **params}
    )
    assert response.status_code == 200
    return {r.reference + f"@{r.organisation_id}" for r in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "query",
    [
        "00001",  # part of the reference
        "{reference_lower}",
        "Çələbiyeva",  # any part of the name, as written
        "celebiyeva",  # and as typed on a Latin keyboard
        "CELEBIYEVA",
        "sefiqe",
        "gulnare ozturk",  # two parts, in another order
        "shafiga.c@example.az",  # the e-mail, any case
        "SHAFIGA.C@EXAMPLE.AZ",
        "+994503214567",  # the phone however typed
        "050 321 45 67",
        "(050) 321-45-67",
        "994 50 321 45 67",
        "3214567",
        "5ZK8R2T",  # the FIN however typed
        "5zk8r2t",
        "5zk 8r2t",
        "AZE12345678",  # the identity document
        "aze 1234 5678",
        "7QK3RZ9",  # the matched subject's identifiers
        "7qk3rz9",
        "s.celebiyeva@bank.az",
        "055 765 43 21",
        "AA7654321",
    ],
)
def test_each_identifier_form_finds_the_request(queue, query):
    client, dpo, _outsider, case, _foreign, organisation = queue
    client.force_login(dpo)
    query = query.format(year_part=case.reference[:8], reference_lower=case.reference.lower())
    assert found(client, query) == {f"{case.reference}@{organisation.pk}"}


def test_another_organisations_requests_never_appear(queue):
    client, _dpo, outsider, _case, foreign, organisation = queue
    client.force_login(outsider)
    theirs = {f"{foreign.reference}@{foreign.organisation_id}"}
    for query in ("5ZK8R2T", "celebiyeva", "Şəfiqə", "DSR"):
        assert found(client, query) == theirs, query
    for query in ("shafiga.c@example.az", "7QK3RZ9", "050 321 45 67", "AZE12345678"):
        assert found(client, query) == set(), query
    assert organisation.pk != foreign.organisation_id


def test_the_year_part_of_the_reference_finds_that_years_requests(queue):
    client, dpo, _outsider, case, _foreign, organisation = queue
    client.force_login(dpo)
    year_part = case.reference[:8]  # "DSR-2026", the year of receipt
    assert found(client, year_part) == {
        f"DSR-{case.reference[4:8]}-0000{n}@{organisation.pk}" for n in (1, 2)
    }
    assert found(client, "DSR-1999") == set()


def test_a_search_that_matches_nothing_finds_nothing(queue):
    client, dpo, *_rest = queue
    client.force_login(dpo)
    assert found(client, "Nizami Qasımov") == set()
    assert found(client, "9999999") == set()


def test_the_query_count_does_not_grow_with_the_number_of_requests(queue):
    client, dpo, _outsider, _case, _foreign, organisation = queue
    client.force_login(dpo)

    def queries_for(query):
        with CaptureQueriesContext(connection) as captured:
            found(client, query)
        return len(captured)

    few = {q: queries_for(q) for q in ("celebiyeva", "5ZK8R2T", "")}
    for n in range(40):
        make_request(
            organisation,
            requester_name=f"Çələbiyeva {n}",
            requester_fin=f"{n:02d}ZK8R2"[:7] if n < 10 else "",
            requester_email=f"person{n}@example.az",
            assignee=dpo,
        )
    many = {q: queries_for(q) for q in few}
    assert many == few
    assert max(many.values()) <= 15
