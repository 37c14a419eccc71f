"""Long request work started from the admin, run by Celery with progress in the job page."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dpo_portal.audit.models import AuditEvent
from dpo_portal.jobs.registry import job_handler

from . import access, legal_impact
from .models import SubjectRequest


@job_handler(
    access.ACCESS_PACKAGE_JOB,
    gettext_lazy("Access package"),
    result_permission="requests.view_subjectrequest",
)
def build_access_package(job):
    """Gather the request's subject's data system by system and attach the ZIP to the job."""
    request = SubjectRequest.objects.select_related("organisation", "subject").get(
        pk=job.parameters["request_id"], organisation_id=job.organisation_id
    )
    if request.subject_id is None or request.subject.is_erased:
        raise LookupError("no subject to package")
    content, facts = access.build_package(
        request,
        language=job.parameters.get("language") or access.package_language(request),
        progress=job.advance,
        on_total=job.set_total,
    )
    job.attach_result(access.package_filename(request), content, "application/zip")
    records = sum(len(system["records"]) for system in facts["records_by_system"])
    AuditEvent.record(
        "requests.access_package_built",
        organisation=request.organisation,
        actor=job.started_by,
        target=request,
        job_id=job.pk,
        systems=len(facts["records_by_system"]),
        records=records,
    )
    return _("%(records)d records in %(systems)d systems.") % {
        "records": records,
        "systems": len(facts["records_by_system"]),
    }


@job_handler(legal_impact.RECOMPUTE_JOB, gettext_lazy("Deadline recompute after a rule change"))
def recompute_deadlines(job):
    """Open requests of the organisation follow the changed rules: version and due date."""
    checked, moved = legal_impact.recompute_open_requests(
        job.organisation_id, progress=job.advance, on_total=job.set_total
    )
    AuditEvent.record(
        "requests.deadlines_recomputed",
        organisation=job.organisation,
        actor=job.started_by,
        job_id=job.pk,
        regime=job.parameters.get("regime", ""),
        country=job.parameters.get("country", ""),
        checked=checked,
        moved=moved,
    )
    return _("%(moved)d of %(checked)d open requests got a new deadline.") % {
        "moved": moved,
        "checked": checked,
    }
