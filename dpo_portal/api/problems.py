"""Errors as RFC 9457 problem details (application/problem+json), never a stack trace.

Each kind of problem has a stable ``type`` URI (PROBLEM_TYPES, listed in the API's
description) that a client may branch on; ``title`` and ``detail`` are for people, in the
language the request's Accept-Language asks for (az or en; without one, the portal's default,
az). Per-item errors come in ``errors``: [{"index", "field", "reason"}] — the index of the item
in a batch, or null.
"""

import json
import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger("dpo_portal.api")

PROBLEM_BASE = "urn:dpo-portal:problem:"

PROBLEM_TYPES = {
    "invalid": "The body or the query is not valid; see errors.",
    "unauthenticated": "No token, or an unknown, revoked or expired token.",
    "forbidden": "The token lacks the scope this endpoint needs.",
    "not-found": "Nothing with this id for this token's system.",
    "method-not-allowed": "The endpoint does not take this method.",
    "conflict": "The object is not in a state that allows this (e.g. a task already answered).",
    "idempotency-key-reused": "The Idempotency-Key was used before with another body.",
    "body-too-large": "The body is larger than the endpoint accepts.",
    "rate-limited": "Too many requests for this token; retry after Retry-After seconds.",
    "server-error": "The portal failed; nothing was changed.",
}

TITLES = {
    "invalid": lambda: _("The request is not valid."),
    "unauthenticated": lambda: _("Not authenticated."),
    "forbidden": lambda: _("Not allowed."),
    "not-found": lambda: _("Not found."),
    "method-not-allowed": lambda: _("Method not allowed."),
    "conflict": lambda: _("Conflict."),
    "idempotency-key-reused": lambda: _("Idempotency key reused."),
    "body-too-large": lambda: _("Body too large."),
    "rate-limited": lambda: _("Too many requests."),
    "server-error": lambda: _("Server error."),
}


def problem_type(slug):
    return PROBLEM_BASE + slug


class ApiProblem(Exception):
    """Raised anywhere under /api/v1/ to answer with one problem."""

    def __init__(self, slug, status, detail="", errors=None, headers=None):
        super().__init__(slug)
        self.slug, self.status, self.detail = slug, status, detail
        self.errors, self.headers = errors, headers or {}


def invalid(detail, errors, status=422):
    return ApiProblem("invalid", status, detail, errors)


class ProblemError(Schema):
    index: int | None
    field: str
    reason: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[ProblemError] | None = None


def problem_response(slug, status, detail="", errors=None, headers=None):
    body = {"type": problem_type(slug), "title": str(TITLES[slug]()), "status": status}
    if detail:
        body["detail"] = str(detail)
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/problem+json",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def pydantic_errors(errors):
    """Ninja's validation errors as [{"index", "field", "reason"}]: the first number in the
    location is the item's index, the names after it the field."""
    found = []
    for error in errors:
        loc = [part for part in error.get("loc", ()) if part not in ("body", "payload", "query")]
        index = next((part for part in loc if isinstance(part, int)), None)
        after = loc[loc.index(index) + 1 :] if index is not None else loc
        field = ".".join(str(part) for part in after if not isinstance(part, int))
        found.append({"index": index, "field": field, "reason": error.get("msg", "")})
    return found


def handle(request, exc):
    if isinstance(exc, ApiProblem):
        return problem_response(exc.slug, exc.status, exc.detail, exc.errors, exc.headers)
    if isinstance(exc, NinjaValidationError):
        return problem_response(
            "invalid", 422, _("Some fields are not valid."), pydantic_errors(exc.errors)
        )
    if isinstance(exc, DjangoValidationError):
        return problem_response(
            "invalid",
            422,
            " ".join(exc.messages),
            [{"index": None, "field": "", "reason": message} for message in exc.messages],
        )
    if isinstance(exc, AuthenticationError):
        return problem_response("unauthenticated", 401, _("Send “Authorization: Bearer <token>”."))
    if isinstance(exc, Http404):
        return problem_response("not-found", 404)
    if isinstance(exc, PermissionDenied):
        return problem_response("forbidden", 403)
    if isinstance(exc, RequestDataTooBig):
        return problem_response("body-too-large", 413)
    if isinstance(exc, HttpError):
        slug = {400: "invalid", 404: "not-found", 405: "method-not-allowed"}.get(
            exc.status_code, "invalid"
        )
        return problem_response(slug, exc.status_code, str(exc))
    # Unexpected: logged with its traceback for the operators, answered without it.
    logger.exception("API error on %s", request.path)
    return problem_response("server-error", 500, _("The portal failed; nothing was changed."))


HANDLED = (Exception, ApiProblem, NinjaValidationError, AuthenticationError, HttpError, Http404)

DESCRIPTIONS = {
    401: "No token, or an unknown, revoked or expired one.",
    403: "The token lacks the scope.",
    404: "Nothing with this id for this token's system.",
    409: "Conflict: e.g. the task was already answered.",
    413: "The body is too large.",
    422: "Not valid, with errors by index and field.",
    429: "Rate limited; see Retry-After.",
}


def problems(*codes):
    """The problem answers of an operation, for its response= (schema and documentation)."""
    return dict.fromkeys(codes, Problem)
