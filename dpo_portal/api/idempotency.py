"""Idempotency-Key: a retried write with the same key and body gets the first answer again and
changes nothing; the same key with another body is refused (422)."""

import hashlib

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils.translation import gettext as _

from dpo_portal.audit.chain import normalised

from .models import IdempotencyKey
from .problems import ApiProblem

HEADER = "Idempotency-Key"
HEADER_DOC = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 100},
    "description": "Any unique string (a UUID): a retried request with the same key and body "
    "answers as the first time and changes nothing.",
}


def idempotent(request, endpoint, write):
    """Run ``write()`` — returning a ninja Status — once per key; a replay answers with the
    stored result. The key is written in the write's transaction: a failed write leaves none."""
    key = (request.headers.get(HEADER) or "").strip()[:100]
    if not key:
        return write()
    token = request.auth
    digest = hashlib.sha256(request.body).hexdigest()
    try:
        with transaction.atomic():
            stored = IdempotencyKey.objects.filter(token=token, key=key).first()
            if stored is not None:
                if stored.body_sha256 != digest or stored.endpoint != endpoint:
                    raise ApiProblem(
                        "idempotency-key-reused",
                        422,
                        _("This Idempotency-Key was used with another request."),
                    )
                response = JsonResponse(stored.response, status=stored.status_code)
                response["Idempotent-Replayed"] = "true"
                return response
            result = write()
            IdempotencyKey.objects.create(
                token=token,
                key=key,
                endpoint=endpoint,
                body_sha256=digest,
                status_code=result.status_code,
                response=normalised(result.value),
            )
            return result
    except IntegrityError:
        # The same key arrived twice at once: the other one won; this one changed nothing.
        raise ApiProblem(
            "conflict", 409, _("A request with this Idempotency-Key is being handled; retry.")
        ) from None
