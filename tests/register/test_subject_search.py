"""DPO staff find a person however they type the name, FIN, phone or e-mail."""

import pytest

from dpo_portal.register.models import Role
from tests.factories import make_organisation, make_subject, make_user
from tests.register.helpers import admin_url, log_in


@pytest.fixture
def allall(db):
    organisation = make_organisation("allall", name="AllAll Finance")
    make_subject(
        organisation,
        first_name="Aysel",
        last_name="Məmmədova",
        fin="5ZK8R2T",
        phone="050 123 45 67",
        email="Aysel.M@Example.az",
    )
    make_subject(organisation, first_name="Rəşad", last_name="Əliyev", fin="6MN2P4Q")
    return organisation


@pytest.mark.parametrize(
    "typed",
    ["5zk8r2t", "0501234567", "+994 50 123-45-67", "aysel.m@example.az", "Məmməd", "Aysel"],
)
def test_search_finds_the_person_however_it_is_typed(client, allall, typed):
    dpo = make_user(Role.DPO, allall)

    response = log_in(client, dpo).get(admin_url("datasubject", "changelist"), {"q": typed})

    assert response.status_code == 200
    assert "Məmmədova" in response.text
    assert "Əliyev" not in response.text


def test_search_never_reaches_another_organisation(client, allall):
    qonshu = make_organisation("qonshu", name="Qonshu app")
    make_subject(qonshu, first_name="Leyla", last_name="Quliyeva", fin="7PL3M9X")
    dpo = make_user(Role.DPO, allall)

    response = log_in(client, dpo).get(admin_url("datasubject", "changelist"), {"q": "7PL3M9X"})

    assert "Quliyeva" not in response.text
