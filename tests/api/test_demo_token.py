"""The demo: AllAll Finance's core loan system has a token, and the curl lines `make run` prints
push a record and list the open tasks."""

import io
import json
import random
import shlex

import pytest
from django.core.management import call_command
from django.test import override_settings

from dpo_portal.api import demo as api_demo
from dpo_portal.api.models import ApiToken
from dpo_portal.register import demo as register_demo
from retention import demo as retention_demo
from retention.models import Record
from tests.api.helpers import ApiClient

pytestmark = pytest.mark.django_db


def curl_lines():
    out = io.StringIO()
    call_command("api_demo_curl", stdout=out)
    return [shlex.split(line) for line in out.getvalue().splitlines() if "curl" in line]


@override_settings(DEBUG=True)
def test_the_printed_curl_lines_push_a_record_and_list_the_open_tasks():
    random.seed(1)
    register_demo.load(stdout=io.StringIO(), subjects_per_organisation=20)
    retention_demo.load(stdout=io.StringIO(), subjects_per_organisation=20)
    api_demo.load(stdout=io.StringIO(), subjects_per_organisation=20)
    api_demo.load(stdout=io.StringIO(), subjects_per_organisation=20)
    assert ApiToken.objects.filter(system__code="core-loans").count() == 1

    push, tasks = curl_lines()
    secret = push[push.index("-H") + 1].removeprefix("Authorization: Bearer ")
    client = ApiClient(secret)
    body = json.loads(push[push.index("-d") + 1])
    response = client.post(push[4].split("/api/v1")[1], body)

    assert response.status_code == 200, response.content
    assert Record.objects.filter(external_id="DEMO-LOAN-0001", system__code="core-loans").exists()
    listed = client.get(tasks[2].split("/api/v1")[1].split("?")[0], status="open")
    assert listed.status_code == 200
