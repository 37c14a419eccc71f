"""Job kinds: each app registers the function that does one kind of job.

    @job_handler("retention.import_records", _("Record import"))
    def import_records(job): ...

The handler gets the Job, reads its parameters and payload, calls job.set_total()/advance(),
may attach_result(), and returns a short message with no personal data. Raising fails the job.
"""

from django.utils.module_loading import autodiscover_modules

_HANDLERS = {}


def job_handler(kind, label):
    def register(func):
        _HANDLERS[kind] = (func, label)
        return func

    return register


def _discover():
    # Handlers live in each app's jobs.py; importing them registers them.
    autodiscover_modules("jobs")


def handler_for(kind):
    if kind not in _HANDLERS:
        _discover()
    return _HANDLERS[kind][0]


def label_for(kind):
    if kind not in _HANDLERS:
        _discover()
    return _HANDLERS.get(kind, (None, kind))[1]
