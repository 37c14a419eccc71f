"""Absolute addresses of the privacy centre, for the mails that point a person back to it, and
the digest its tokens are kept as.

Mails leave from background jobs as well as from requests, so the address is built from
settings.PUBLIC_BASE_URL rather than from the HTTP request at hand.
"""

import hashlib
import hmac
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse


def absolute(path, language=None):
    query = f"?{urlencode({'lang': language})}" if language else ""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}{query}"


def status_lookup_url(organisation, language=None):
    return absolute(
        reverse("privacy:status-lookup", kwargs={"organisation": organisation.slug}), language
    )


def digest(value):
    """A keyed digest of a token, code or secret: a leaked table row opens no link and betrays
    no code."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
