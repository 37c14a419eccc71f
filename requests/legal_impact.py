"""What a change of the legal rules does to open requests: the rows its confirmation page lists,
and the background recompute that follows the save (dpo_portal/legal/changes.py)."""

from django.utils.translation import gettext as _

from dpo_portal.jobs.models import start_job
from dpo_portal.legal.changes import impact_handler
from dpo_portal.legal.models import RegimeVersion
from dpo_portal.register.models import Organisation
from dpo_portal.register.roles import organisation_ids_for

from . import deadlines
from .models import SubjectRequest

RECOMPUTE_JOB = "requests.recompute_deadlines"


def _open_requests(change):
    requests = SubjectRequest.objects.open()
    if change.regime_code:
        requests = requests.filter(organisation__regime=change.regime_code)
    if change.country:
        requests = requests.filter(organisation__country=change.country)
    return requests


def _versions_after(change):
    """The regime's versions as they will be once the change is saved, latest first."""
    versions = [
        v
        for v in RegimeVersion.objects.of_regime(change.regime_code)
        if change.version is None or v.pk != change.version.pk
    ]
    if change.version is not None and not change.removed:
        versions.append(change.version)
    return sorted(versions, key=lambda v: v.effective_from, reverse=True)


@impact_handler
class RequestDeadlines:
    def preview(self, change, user):
        """Open requests whose answer or refusal deadline the change would move. Rows of an
        organisation the user may not see say only that they exist."""
        if not change.regime_code:
            return []
        versions = _versions_after(change)
        visible = None if user.is_superuser else organisation_ids_for(
            user, "requests.view_subjectrequest"
        )  # fmt: skip
        rows = []
        requests = (
            _open_requests(change)
            .select_related("organisation", "regime_version")
            .prefetch_related("deadline_events")
            .order_by("received_at")
        )
        calendars = {}
        for request in requests:
            received_on = deadlines.local_date(request.received_at)
            version = next((v for v in versions if v.effective_from <= received_on), None)
            country = str(request.organisation.country)
            cal = calendars.setdefault(
                country, deadlines.organisation_calendar(request.organisation)
            )
            events = request.deadline_event_list()
            rules = version.rules() if version else request.organisation.regime
            new_due = deadlines.compute_due(rules, received_on, events, cal)[0]
            new_refusal = deadlines.refusal_due(rules, received_on, cal, events)
            old_refusal = request.refusal_due_on
            if new_due == request.due_on and new_refusal == old_refusal:
                continue
            rows.append(
                {
                    "request": request,
                    "visible": visible is None or request.organisation_id in visible,
                    "old_due": request.due_on,
                    "new_due": new_due,
                    "old_refusal": old_refusal,
                    "new_refusal": new_refusal,
                    "old_version": request.regime_version,
                    "new_version": version,
                }
            )
        return rows

    def apply(self, change, actor):
        """One recompute job per organisation with open requests under the regime or the
        calendar; each job's page shows its progress."""
        organisations = Organisation.objects.filter(
            pk__in=_open_requests(change).values("organisation_id")
        )
        parameters = {"regime": change.regime_code, "country": change.country}
        for organisation in organisations:
            start_job(RECOMPUTE_JOB, organisation=organisation, actor=actor, parameters=parameters)
        return len(organisations)


def recompute_open_requests(organisation_id, *, progress=None, on_total=None):
    """Follow the version in force on each open request's receipt date and recompute its due
    date on today's rules and calendar. Returns (checked, moved)."""
    requests = list(
        SubjectRequest.objects.open()
        .filter(organisation_id=organisation_id)
        .select_related("organisation")
        .prefetch_related("deadline_events")
    )
    if on_total:
        on_total(len(requests))
    moved = 0
    for request in requests:
        before = (request.due_on, request.regime_version_id)
        deadlines.recompute_due_on(request, save=False)
        if (request.due_on, request.regime_version_id) != before:
            # A reason for the history page, with no personal data in it.
            request._change_reason = _("Deadline recomputed after a change of the legal rules")
            request.save(update_fields=["due_on", "regime_version", "updated_at"])
            moved += 1
        if progress:
            progress()
    return len(requests), moved
