"""Token authentication for /api/v1/: ``Authorization: Bearer dpo_xxxxxxxx_…``.

A token is never a person: ``request.auth`` is the ApiToken, ``request.user`` stays anonymous,
and the admin (which knows only sessions) never sees it. Each operation names the scope it
needs; the token's system and organisation bound everything the views read or write. Each use
stamps the token's last-used time and address, and counts against its rate budget.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from .models import ApiToken, Scope
from .problems import ApiProblem

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate):
    count, period = rate.split("/")
    return int(count), PERIODS[period]


def spend_budget(token):
    """One request from the token's budget (settings.API_TOKEN_RATE, read per request): a fixed
    window in the shared cache, so every process counts together."""
    allowed, seconds = parse_rate(settings.API_TOKEN_RATE)
    now = time.time()
    window = int(now // seconds)
    key = f"api-rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=seconds + 1)
    if cache.incr(key) > allowed:
        retry_after = max(1, math.ceil((window + 1) * seconds - now))
        raise ApiProblem(
            "rate-limited",
            429,
            _("Too many requests for this token."),
            headers={"Retry-After": str(retry_after)},
        )


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def __init__(self, scope, *, max_body_bytes=None):
        super().__init__()
        self.scope = scope
        self.max_body_bytes = max_body_bytes or settings.API_MAX_BODY_BYTES

    def __call__(self, request):
        # Before the body is read: Django never reads past Content-Length.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.max_body_bytes:
            raise ApiProblem(
                "body-too-large",
                413,
                _("At most %(mb)s MB in one request.")
                % {"mb": f"{self.max_body_bytes / 1024 / 1024:g}"},
            )
        if not request.headers.get("Authorization", ""):
            raise ApiProblem("unauthenticated", 401, _("Send “Authorization: Bearer <token>”."))
        return super().__call__(request)

    def authenticate(self, request, secret):
        prefix = secret.rsplit("_", 1)[0] if secret.count("_") >= 2 else ""
        token = (
            ApiToken.objects.select_related("system", "organisation")
            .filter(prefix=prefix[:12])
            .first()
            if prefix
            else None
        )
        if token is None or not token.matches(secret):
            raise ApiProblem("unauthenticated", 401, _("Unknown API token."))
        if token.is_revoked:
            raise ApiProblem("unauthenticated", 401, _("This API token was revoked."))
        if token.is_expired:
            raise ApiProblem("unauthenticated", 401, _("This API token has expired."))
        spend_budget(token)
        if not token.allows(self.scope):
            raise ApiProblem(
                "forbidden",
                403,
                _("This API token may not %(scope)s.")
                % {"scope": str(Scope(self.scope).label).lower()},
            )
        now = timezone.now()
        address = request.META.get("REMOTE_ADDR") or None
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_from=address)
        token.last_used_at, token.last_used_from = now, address
        return token
