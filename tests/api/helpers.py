"""Builders for the API tests: organisations with systems and tokens, and a client that sends
a token."""

import datetime
import json

from django.test import Client
from django.utils import timezone

from dpo_portal.api.models import Scope
from dpo_portal.api.services import create_token

ALL_SCOPES = list(Scope.values)


def token_for(system, *, scopes=ALL_SCOPES, days=30, actor=None, name="test token"):
    """(token, secret) for ``system``."""
    return create_token(
        system,
        name=name,
        scopes=scopes,
        expires_at=timezone.now() + datetime.timedelta(days=days),
        actor=actor,
    )


class ApiClient:
    """Django's test client with a bearer token and JSON bodies."""

    def __init__(self, secret=None, **headers):
        self.client = Client()
        self.headers = dict(headers)
        if secret:
            self.headers["Authorization"] = f"Bearer {secret}"

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path, body, **headers):
        return self.client.post(
            f"/api/v1{path}",
            json.dumps(body, default=str),
            content_type="application/json",
            headers={**self.headers, **headers},
        )


def problem(response):
    assert response["Content-Type"] == "application/problem+json", response.content[:500]
    body = response.json()
    assert body["type"].startswith("urn:dpo-portal:problem:")
    assert body["status"] == response.status_code
    return body
