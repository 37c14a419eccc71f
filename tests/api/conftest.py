import pytest
from django.core.cache import cache

from tests.api.helpers import token_for
from tests.factories import Role, make_category, make_organisation, make_system, make_user
from tests.requests.fulfilment_helpers import make_person, make_record, make_request


@pytest.fixture(autouse=True)
def _fresh_rate_budgets():
    """The rate budgets live in the shared cache (Redis): each test starts with full ones."""
    cache.clear()
    yield


@pytest.fixture
def world():
    """Organisation 1 with systems A and B, organisation 2 with system C; a person of each
    organisation with a record in each of its systems; a token (every scope) per system; a
    deletion request per organisation with its tasks open."""
    from requests import fulfilment

    one = make_organisation("allall-api", name="AllAll Finance MMC")
    two = make_organisation("qonshu-api", name="Qonshu MMC")
    dpo = make_user(Role.DPO, one, username="dpo-api")
    dpo_two = make_user(Role.DPO, two, username="dpo-api-two")
    a = make_system(one, "core-loans", name="Core loan system")
    b = make_system(one, "crm", name="CRM")
    c = make_system(two, "app-backend", name="App backend")
    identity_one = make_category(one, "identity", name="Identity")
    identity_two = make_category(two, "identity", name="Identity")
    person = make_person(one, external_ref="CUST-000123")
    person_two = make_person(
        two,
        external_ref="U-777",
        fin="5ZK8R2T",
        phone="+994701112233",
        email="orxan@example.az",
        first_name="Orxan",
        last_name="Başqa",
    )
    make_record(person, a, identity_one, external_id="LOAN-1")
    make_record(person, b, identity_one, external_id="CRM-1")
    make_record(person_two, c, identity_two, external_id="APP-1")
    request_one = make_request(person, actor=dpo)
    request_two = make_request(person_two, actor=dpo_two)
    tasks_one = {t.system_id: t for t in fulfilment.open_tasks_for(request_one, actor=dpo)}
    tasks_two = {t.system_id: t for t in fulfilment.open_tasks_for(request_two, actor=dpo_two)}
    tokens = {key: token_for(system)[1] for key, system in (("a", a), ("b", b), ("c", c))}
    return {
        "one": one,
        "two": two,
        "dpo": dpo,
        "systems": {"a": a, "b": b, "c": c},
        "person": person,
        "person_two": person_two,
        "category": identity_one,
        "requests": {"one": request_one, "two": request_two},
        "tasks": {"a": tasks_one[a.pk], "b": tasks_one[b.pk], "c": tasks_two[c.pk]},
        "tokens": tokens,
    }
