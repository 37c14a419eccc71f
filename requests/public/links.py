"""Absolute addresses of the privacy centre, for the mails that point a person back to it.

Mails leave from background jobs as well as from requests, so the address is built from
settings.PUBLIC_BASE_URL rather than from the HTTP request at hand.
"""

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
