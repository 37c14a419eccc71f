"""Values a page reads once per HTTP request, however many of its parts ask: the calendar's stamp,
the due-soon limits behind every request's urgency colour.

The memo lives from Django's request_started to its request_finished signal; outside a request
(a Celery task, a management command) nothing is kept, every call computes. A value that a write
inside the request changes is dropped with ``forget``.
"""

from contextvars import ContextVar

from django.core.signals import request_finished, request_started

_memo = ContextVar("request_memo", default=None)


def _start(**kwargs):
    _memo.set({})


def _finish(**kwargs):
    _memo.set(None)


request_started.connect(_start, dispatch_uid="request_memo_start")
request_finished.connect(_finish, dispatch_uid="request_memo_finish")


def once_per_request(key, compute):
    """``compute()``'s value, computed the first time ``key`` is asked in this request."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def forget(prefix):
    """Drop the values whose key starts with ``prefix`` (a tuple key's first element)."""
    memo = _memo.get()
    if memo:
        for key in [k for k in memo if (k[0] if isinstance(k, tuple) else k) == prefix]:
            del memo[key]
