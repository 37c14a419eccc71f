"""Job kinds: each app registers the function that does one kind of job.

    @job_handler("retention.import_records", _("Record import"))
    def import_records(job): ...

The handler gets the Job, reads its parameters and payload, calls job.set_total()/advance(),
may attach_result(), and returns a short message with no personal data. Raising fails the job.
"""

from django.utils.module_loading import autodiscover_modules

_HANDLERS = {}
_RESULT_PERMISSIONS = {}
_LINKS = {}


def job_handler(kind, label, result_permission=None, links=None):
    """``result_permission`` ("app.codename"): only users granted it in the job's organisation
    may download the result (an access package holds personal data; managers see jobs too).
    ``links(job)``: [(label, url), ...] the job page offers once the job is done (where to go
    next, e.g. the batches a sweep made)."""

    def register(func):
        _HANDLERS[kind] = (func, label)
        if links:
            _LINKS[kind] = links
        if result_permission:
            _RESULT_PERMISSIONS[kind] = result_permission
        return func

    return register


def result_permission_for(kind):
    if kind not in _HANDLERS:
        _discover()
    return _RESULT_PERMISSIONS.get(kind)


def _discover():
    # Handlers live in each app's jobs.py; importing them registers them.
    autodiscover_modules("jobs")


def links_for(job):
    if job.kind not in _HANDLERS:
        _discover()
    links = _LINKS.get(job.kind)
    return links(job) if links else []


def handler_for(kind):
    if kind not in _HANDLERS:
        _discover()
    return _HANDLERS[kind][0]


def label_for(kind):
    if kind not in _HANDLERS:
        _discover()
    return _HANDLERS.get(kind, (None, kind))[1]
