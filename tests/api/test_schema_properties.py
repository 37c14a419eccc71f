"""Property-based test of the API against its own published schema (/api/v1/schema/): bodies
generated from each operation's request schema (hypothesis-jsonschema), sent with a valid
token; no answer is a 5xx, and every answer is documented for its status code and conforms to
the documented schema and media type (openapi-schema-validator).

Schemathesis would be the usual tool; it needs python-requests, which this project cannot
import: our app named ``requests`` shadows it. Hypothesis and a validator do the same here.
"""

import copy
import json

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from openapi_schema_validator import OAS31Validator

from tests.api.helpers import ApiClient

pytestmark = pytest.mark.django_db

EXAMPLES = 25
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


def resolved(node, components):
    """The schema with every local $ref replaced by what it points to (ours are not cyclic)."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return resolved(copy.deepcopy(components[name]), components)
        return {key: resolved(value, components) for key, value in node.items()}
    if isinstance(node, list):
        return [resolved(value, components) for value in node]
    return node


@pytest.fixture
def schema(world):
    response = ApiClient().get("/schema/")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def check_conforms(schema, operation, response):
    assert response.status_code < 500, response.content[:500]
    documented = operation["responses"]
    code = str(response.status_code)
    assert code in documented, f"{operation['operationId']}: {code} not documented"
    content = documented[code].get("content", {})
    media = response["Content-Type"].split(";")[0]
    assert media in content, f"{operation['operationId']}: {media} not documented for {code}"
    body_schema = resolved(content[media]["schema"], schema["components"]["schemas"])
    OAS31Validator(body_schema, format_checker=OAS31Validator.FORMAT_CHECKER).validate(
        response.json()
    )


def path_values(world):
    """Ids that exist for the token, ids of others, and ids that exist nowhere."""
    tasks = [task.pk for task in world["tasks"].values()]
    return {
        "task_id": st.sampled_from([*tasks, 0, 10**9]),
        "reference": st.sampled_from([world["requests"]["one"].reference, "X-0", "%20"]),
    }


def property_of(client, schema, path, method, operation):
    """given(**strategies) -> the Hypothesis test of one operation."""

    def with_strategies(**strategies):
        @HYPOTHESIS
        @given(**strategies)
        def run(path_args, payload, params):
            url = path.removeprefix("/api/v1")
            for name, value in path_args.items():
                url = url.replace("{" + name + "}", str(value))
            if method == "get":
                response = client.get(url, **{k: v for k, v in params.items() if v is not None})
            else:
                response = client.post(url, payload)
            check_conforms(schema, operation, response)

        return run

    return with_strategies


@override_settings(API_TOKEN_RATE="100000/min")
def test_every_operation_answers_as_its_schema_says_for_generated_input(world, schema):
    client = ApiClient(world["tokens"]["a"])
    values = path_values(world)
    components = schema["components"]["schemas"]
    tested = []
    for path, method, operation in operations(schema):
        if not operation.get("security"):
            continue  # the schema and the docs
        params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        body_strategy = from_schema(resolved(body["schema"], components)) if body else st.none()
        query = {
            p["name"]: resolved(p["schema"], components)
            for p in operation.get("parameters", [])
            if p["in"] == "query"
        }
        query_strategy = st.fixed_dictionaries(
            {}, optional={name: from_schema(s) for name, s in query.items()}
        )

        check = property_of(client, schema, path, method, operation)(
            path_args=st.fixed_dictionaries({name: values[name] for name in params}),
            payload=body_strategy,
            params=query_strategy,
        )
        check()
        tested.append(operation["operationId"])
    assert set(tested) == {
        "records_batch",
        "records_released",
        "requests_create",
        "requests_status",
        "tasks_list",
        "tasks_receipt",
    }


def test_malformed_json_answers_problem_json_not_a_stack_trace(world, schema):
    client = ApiClient(world["tokens"]["a"])
    response = client.client.post(
        "/api/v1/records/batch",
        b'{"records": [',
        content_type="application/json",
        headers=client.headers,
    )
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"
    assert "Traceback" not in json.dumps(response.json())
