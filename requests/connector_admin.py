"""The connected-system part of a task on the request page: the read-only preview of what the
run would change in the source, the DPO's confirmation, and the last run's state."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _

from dpo_portal.connectors.models import Connector, ConnectorRun, RunStatus

from . import connector_runs
from .models import RequestTask, TaskStatus


def task_row_sets(obj):
    """What says which of the request's tasks a connector can carry out, and their last runs:
    querysets, read with the tasks (read_together)."""
    return {
        "connected_systems": Connector.objects.filter(
            system_id__in=obj.tasks.values("system_id"), data_map__isnull=False
        )
        .exclude(kind="api")
        .order_by()
        .only("system_id"),
        "task_runs": ConnectorRun.objects.filter(task_id__in=obj.tasks.values("pk")).order_by(
            "created_at"
        ),
    }


def annotate_tasks(tasks, *, connected_systems, task_runs):
    """Mark each task that a connector can carry out, with its last run."""
    systems = {connector.system_id for connector in connected_systems}
    runs = {run.task_id: run for run in task_runs}  # oldest first: the last one stays
    for task in tasks:
        task.connected = (
            task.system_id in systems and task.action in connector_runs.RUN_KIND_FOR_ACTION
        )
        task.source_run = runs.get(task.pk)


def failed_run_exists():
    """For the triage queue: an open task of the request whose last run in its system failed
    (one EXISTS per row of the page, by the run's task index)."""
    # Two levels down: the tasks' request is the queue's row, not the run (OuterRef of OuterRef).
    open_tasks = RequestTask.objects.filter(
        request=OuterRef(OuterRef("pk")), status=TaskStatus.OPEN
    )
    return Exists(
        ConnectorRun.objects.filter(status=RunStatus.FAILED, task_id__in=open_tasks.values("pk"))
    )


def admin_urls(model_admin):
    def view(func):
        return model_admin.admin_site.admin_view(
            lambda request, object_id, **kwargs: func(model_admin, request, object_id, **kwargs)
        )

    return [
        path(
            "<path:object_id>/fulfil/tasks/<int:task_id>/source/",
            view(preview_view),
            name="requests_fulfil_source",
        ),
    ]


def preview_view(model_admin, request, object_id, task_id):
    obj = model_admin.get_object(request, object_id)
    if obj is None:
        raise Http404
    if not model_admin.has_change_permission(request, obj):
        raise PermissionDenied
    task = get_object_or_404(
        RequestTask.objects.select_related("system", "request__subject"), pk=task_id, request=obj
    )
    if request.method == "POST":
        try:
            connector_runs.confirm_run(task, actor=request.user)
        except ValidationError as error:
            model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            model_admin.message_user(
                request,
                _("%(system)s: the run is queued; its receipt will close the task.")
                % {"system": task.system.name},
                messages.SUCCESS,
            )
        return redirect("admin:requests_subjectrequest_change", obj.pk)
    plans, holds, error = connector_runs.preview(task)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": obj,
        "task": task,
        "plans": plans,
        "holds": holds,
        "error": error,
        "may_confirm": task.status == TaskStatus.OPEN and obj.is_open and not error,
        "last_run": connector_runs.last_run(task),
        "title": _("What the run changes in %(system)s") % {"system": task.system.name},
    }
    return TemplateResponse(request, "requests/connector_preview.html", context)
