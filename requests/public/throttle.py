"""Limits on what one address or one IP may send to the privacy centre, counted in the shared
cache (Redis), so every web process sees the same counts. Keys are digests: no address or IP is
written to the cache in clear."""

from django.core.cache import cache

from .intake import digest


def client_ip(request):
    # The address the server saw: a header a client can write (X-Forwarded-For) would let
    # anyone choose their own bucket.
    return request.META.get("REMOTE_ADDR", "")


def over_limit(scope, value, *, limit, seconds):
    """Count one more hit of ``value`` in ``scope``; True once past ``limit`` in the window."""
    if not value:
        return False
    key = f"privacy:{scope}:{digest(value)}"
    cache.add(key, 0, timeout=seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds)
        count = 1
    return count > limit
