"""Background jobs started from the admin (a large import, a recompute, an access package).

The job row is what the admin shows while Celery works: status and progress. Inputs and results
live in the row itself (bytes), not in files on a worker's disk: any worker on any machine can
pick the job up, and nothing with personal data is left lying in a temp folder. The payload is
dropped as soon as the job ends.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dpo_portal.register.models import OrganisationOwned


class Job(OrganisationOwned):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=80)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("total steps"), default=0)
    done = models.PositiveIntegerField(_("steps done"), default=0)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    payload = models.BinaryField(null=True, editable=False)
    message = models.TextField(_("message"), blank=True)
    result = models.BinaryField(null=True, editable=False)
    result_name = models.CharField(_("result file name"), max_length=200, blank=True)
    result_content_type = models.CharField(max_length=100, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "kind", "-created_at"])]

    def __str__(self):
        return f"{self.kind_label} #{self.pk}"

    @property
    def kind_label(self):
        from .registry import label_for

        return label_for(self.kind)

    @property
    def percent(self):
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def is_finished(self):
        return self.status in {self.Status.DONE, self.Status.FAILED}

    def set_total(self, total):
        self.total = total
        Job.objects.filter(pk=self.pk).update(total=total)

    def advance(self, steps=1):
        """Add to the progress; safe when several workers advance the same job at once.

        The count is kept in the cache as well: an import advances inside its one transaction,
        where the row's update is invisible to the page until the commit.
        """
        if not transaction.get_connection().in_atomic_block:
            # Inside the import's transaction the row's lock would be held to the end (and
            # deadlock with the page's readers); the cache carries the count until finish().
            Job.objects.filter(pk=self.pk).update(done=F("done") + steps)
        key = self._live_key()
        if not cache.add(key, steps, timeout=86_400):
            cache.incr(key, steps)

    def _live_key(self):
        return f"job:{self.pk}:done"

    @property
    def live_done(self):
        if self.is_finished:
            return self.done
        return max(self.done, cache.get(self._live_key()) or 0)

    @property
    def live_percent(self):
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.live_done * 100 / self.total))

    def attach_result(self, name, content, content_type):
        self.result, self.result_name, self.result_content_type = content, name, content_type
        self.save(update_fields=["result", "result_name", "result_content_type", "updated_at"])

    def mark_running(self):
        self.status, self.started_at = self.Status.RUNNING, timezone.now()
        self.save(update_fields=["status", "started_at", "updated_at"])

    def finish(self, *, failed=False, message=""):
        self.refresh_from_db(fields=["done", "total"])
        self.done = max(self.done, cache.get(self._live_key()) or 0)
        self.status = self.Status.FAILED if failed else self.Status.DONE
        self.finished_at = timezone.now()
        self.message = message
        self.payload = None
        self.save(
            update_fields=["status", "done", "finished_at", "message", "payload", "updated_at"]
        )
        cache.delete(self._live_key())


def start_job(kind, *, organisation, actor, parameters=None, payload=None, total=0):
    """Queue a job and hand it to Celery once the surrounding transaction commits."""
    from .tasks import run_job

    job = Job.objects.create(
        kind=kind,
        organisation=organisation,
        started_by=actor if actor is not None and actor.is_authenticated else None,
        parameters=parameters or {},
        payload=payload,
        total=total,
    )
    transaction.on_commit(lambda: run_job.delay(job.pk))
    return job
