"""Past its budget a token gets 429 with Retry-After; another token is not slowed down."""

import pytest
from django.test import override_settings

from tests.api.helpers import ApiClient, problem, token_for
from tests.factories import make_organisation, make_system

pytestmark = pytest.mark.django_db


@override_settings(API_TOKEN_RATE="3/min")
def test_past_the_limit_the_token_gets_429_with_retry_after():
    organisation = make_organisation()
    busy = ApiClient(token_for(make_system(organisation))[1])
    calm = ApiClient(token_for(make_system(organisation))[1])

    answers = [busy.get("/tasks").status_code for _ in range(3)]
    refused = busy.get("/tasks")

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert problem(refused)["type"] == "urn:dpo-portal:problem:rate-limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert calm.get("/tasks").status_code == 200
