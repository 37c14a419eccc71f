"""Demo: AllAll Finance's core loan system gets an API token (push inventory, answer tasks).

On a development machine (DEBUG) its secret is settings.DEMO_API_TOKEN, published like the demo
password, so `make run` can print ready curl lines (manage.py api_demo_curl). With DEBUG off the
secret is generated and printed once, like the demo users' password.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from dpo_portal.register.models import System

from .models import ApiToken, Scope, token_digest

DEMO_TOKEN_NAME = "Demo: nightly inventory push"


def demo_system():
    return System.objects.filter(organisation__slug="allall", code="core-loans").first()


def load(stdout, subjects_per_organisation):
    system = demo_system()
    if system is None:
        stdout.write("API: AllAll Finance's core loan system is missing, no token added.")
        return
    if ApiToken.objects.filter(system=system, name=DEMO_TOKEN_NAME).exists():
        stdout.write("API: the demo token exists already, nothing added.")
        return
    if settings.DEBUG and settings.DEMO_API_TOKEN:
        secret = settings.DEMO_API_TOKEN
        # "dpo_<8 hex>": the random part after it may hold "_" too.
        prefix = "_".join(secret.split("_", 2)[:2])
    else:
        secret, prefix = ApiToken.new_secret()
    ApiToken.objects.create(
        organisation_id=system.organisation_id,
        system=system,
        name=DEMO_TOKEN_NAME,
        prefix=prefix,
        digest=token_digest(secret),
        scopes=[Scope.PUSH_INVENTORY, Scope.ANSWER_TASKS],
        expires_at=timezone.now() + datetime.timedelta(days=365),
    )
    if settings.DEBUG:
        stdout.write("API: a demo token for AllAll Finance's core loan system.")
    else:
        stdout.write(f"API: demo token of the core loan system (shown only now): {secret}")
