"""The fulfilment part of the request page: records by system, tasks (their owners, due dates
and resolution), consent withdrawal, completing the request, and the access package.

requests/admin.py adds ``admin_urls`` to its URLs and ``change_context`` to its page (the rows
of ``row_sets``, read in one statement with the page's other sections); the views reuse the
request admin's own permission checks (POST only, change permission on this request's
organisation, 404 for other organisations).
"""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _

from consent.models import Consent
from dpo_portal.approvals.services import open_approvals
from dpo_portal.register.erasure import warn_if_naming_a_person
from dpo_portal.register.roles import organisation_ids_for
from dpo_portal.request_memo import once_per_request
from retention.services import record_overview_by_system

from . import access, connector_admin, fulfilment, letters, lifecycle, services
from .models import KeptReason, RequestKind, RequestStatus, RequestTask, TaskStatus


def _may_change(user, obj):
    return user.is_superuser or obj.organisation_id in organisation_ids_for(
        user, "requests.change_subjectrequest"
    )


# The request page lists this many records per system and counts the rest (the tasks and the
# access package cover them all).
RECORDS_SHOWN_PER_SYSTEM = 20


def _tasks_of(obj):
    return obj.tasks.select_related("system", "owner", "resolved_by").prefetch_related("receipts")


def row_sets(obj):
    """What the fulfilment panel lists, as querysets: the request page reads them in one
    statement with its other sections (read_together) and gives them to change_context."""
    subject = _live_subject(obj)
    withdrawing = subject is not None and obj.kind == RequestKind.CONSENT_WITHDRAWAL
    return {
        # A consent withdrawal lists the person's active consents, and its closing check looks
        # for the systems holding records on a consent.
        "consents": Consent.objects.active()
        .filter(subject=subject)
        .select_related("activity", "notice")
        if withdrawing
        else [],
        "held_on_consent": lifecycle.records_held_by_system(obj, on_consent_only=True)
        if withdrawing
        else None,
        "tasks": _tasks_of(obj),
        "approvals": open_approvals(
            actions=fulfilment.DISPOSAL_STEP.values(), targets=obj.tasks.all()
        ),
        **connector_admin.task_row_sets(obj),
        # The packages themselves are read when downloaded, not to list their jobs.
        "package_jobs": access.package_jobs(obj)
        .select_related("started_by")
        .defer("payload", "result"),
    }


def _live_subject(obj):
    """The request's person, unless none is matched or they have been erased."""
    return obj.subject if obj.subject_id and not obj.subject.is_erased else None


def request_tasks(request, obj, read=None):
    """The request's tasks with their systems, owners, resolvers and receipts, for the
    fulfilment panel and the tasks inline: read once per GET (``read``: as the page read them).
    A POST reads them again, after what it saved."""
    read = read or (lambda: list(_tasks_of(obj)))
    if request.method != "GET":
        return read()
    return once_per_request(("request_tasks", obj.pk), read)


def change_context(request, obj, rows):
    """The fulfilment panel, from ``rows``: row_sets() read."""
    action = fulfilment.task_action_for(obj)
    subject = _live_subject(obj)
    tasks = request_tasks(request, obj, lambda: rows["tasks"])
    waiting = {int(approval.target_id): approval for approval in rows["approvals"]}
    for task in tasks:
        task.first_approval = waiting.get(task.pk)
        if task.first_approval is not None:
            task.first_approval.resolution = fulfilment.Resolution(
                fulfilment.RESOLUTION_OF_STEP[task.first_approval.action]
            )
        task.resolutions = [
            (r.value, r.label) for r in fulfilment.RESOLUTIONS_FOR_ACTION.get(task.action, ())
        ]
    connector_admin.annotate_tasks(
        tasks, connected_systems=rows["connected_systems"], task_runs=rows["task_runs"]
    )
    by_system = (
        record_overview_by_system(subject, shown=RECORDS_SHOWN_PER_SYSTEM)
        if subject is not None
        else []
    )
    task_systems = {task.system_id for task in tasks}
    open_count = sum(task.status == TaskStatus.OPEN for task in tasks)
    outcome = fulfilment.outcome_for(tasks)
    problems = (
        lifecycle.closing_problems(
            obj,
            outcome,
            tasks=tasks,
            # What the panel has just counted, when it shows the person's records.
            held={system.pk: (system.name, total) for system, _r, total, _h in by_system}
            if subject is not None
            else None,
            held_on_consent=None
            if rows["held_on_consent"] is None
            else lifecycle.held_by_system(rows["held_on_consent"]),
        )
        if action and obj.status == RequestStatus.IN_PROGRESS
        else []
    )
    return {
        "fulfilment_template": "requests/fulfil_panel.html",
        "fulfil": {
            "may_change": _may_change(request.user, obj),
            "action": action,
            "subject": subject,
            "tasks": tasks,
            "open_tasks": open_count,
            # Complete here once the lifecycle has nothing against it; else say what is missing.
            "can_complete": bool(
                action and lifecycle.is_allowed(obj.status, outcome) and not problems
            ),
            "closing_problems": problems,
            "outcome": outcome if tasks else None,
            "task_owners": services.assignees_for({obj.organisation_id}),
            "records_by_system": [
                (system, records, system.pk in task_systems, total - len(records), held)
                for system, records, total, held in by_system
            ],
            "new_systems": any(system.pk not in task_systems for system, *_rest in by_system),
            "kept_reasons": KeptReason.choices,
            "kept_value": fulfilment.Resolution.KEPT.value,
            "consents": rows["consents"],
            "is_deletion": obj.kind == RequestKind.DELETION,
            "packages_offered": obj.kind in access.PACKAGE_KINDS,
            "package_jobs": rows["package_jobs"],
        },
    }


def admin_urls(model_admin):
    def view(func):
        return model_admin.admin_site.admin_view(
            lambda request, object_id, **kwargs: func(model_admin, request, object_id, **kwargs)
        )

    return [
        path(
            "<path:object_id>/fulfil/open-tasks/",
            view(open_tasks_view),
            name="requests_fulfil_open_tasks",
        ),
        path(
            "<path:object_id>/fulfil/tasks/<int:task_id>/",
            view(resolve_task_view),
            name="requests_fulfil_resolve",
        ),
        path(
            "<path:object_id>/fulfil/tasks/<int:task_id>/assign/",
            view(assign_task_view),
            name="requests_fulfil_assign_task",
        ),
        path(
            "<path:object_id>/fulfil/withdraw-consents/",
            view(withdraw_consents_view),
            name="requests_fulfil_withdraw",
        ),
        path(
            "<path:object_id>/fulfil/complete/",
            view(complete_view),
            name="requests_fulfil_complete",
        ),
        path(
            "<path:object_id>/fulfil/access-package/",
            view(start_package_view),
            name="requests_fulfil_package",
        ),
        path(
            "<path:object_id>/fulfil/access-package/<int:job_id>/",
            view(download_package_view),
            name="requests_fulfil_package_download",
        ),
        *connector_admin.admin_urls(model_admin),
    ]


def open_tasks_view(model_admin, request, object_id):
    obj = model_admin._object_for_change(request, object_id)
    return model_admin._run(
        request,
        obj,
        lambda: fulfilment.open_tasks_for(obj, actor=request.user),
        _("One task per system holding the person's records is open."),
    )


def resolve_task_view(model_admin, request, object_id, task_id):
    obj = model_admin._object_for_change(request, object_id)
    task = get_object_or_404(RequestTask, pk=task_id, request=obj)
    resolution = request.POST.get("resolution", "")
    try:
        task = fulfilment.resolve_task(
            task,
            actor=request.user,
            resolution=resolution,
            kept_reason=request.POST.get("kept_reason") or None,
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
        return model_admin._back(obj)
    warn_if_naming_a_person(request, task, ("note",))
    if getattr(task, "first_approval", None) is not None:
        model_admin.message_user(
            request,
            _(
                "%(system)s: your approval is recorded. The records are disposed of when a "
                "second DPO confirms it by choosing “%(resolution)s” too."
            )
            % {"system": task.system.name, "resolution": fulfilment.Resolution(resolution).label},
            messages.WARNING,
        )
    elif task.status == TaskStatus.KEPT and resolution != fulfilment.Resolution.KEPT:
        model_admin.message_user(
            request,
            _(
                "%(system)s: %(disposed)d record(s) disposed; %(held)d kept because a legal hold "
                "covers them."
            )
            % {"system": task.system.name, **task.outcome},
            messages.WARNING,
        )
    else:
        model_admin.message_user(
            request,
            _("%(system)s: %(status)s.")
            % {"system": task.system.name, "status": task.get_status_display()},
            messages.SUCCESS,
        )
    return model_admin._back(obj)


def assign_task_view(model_admin, request, object_id, task_id):
    obj = model_admin._object_for_change(request, object_id)
    task = get_object_or_404(RequestTask, pk=task_id, request=obj)
    owner = services.assignees_for({obj.organisation_id}).filter(pk=request.POST.get("owner") or 0)
    owner = owner.first()
    if owner is None:
        model_admin.message_user(
            request, _("Choose a member who may work on requests."), messages.ERROR
        )
        return model_admin._back(obj)
    try:
        due_on = (
            datetime.date.fromisoformat(request.POST["due_on"])
            if request.POST.get("due_on")
            else None
        )
    except ValueError:
        model_admin.message_user(request, _("The due date is not a date."), messages.ERROR)
        return model_admin._back(obj)
    return model_admin._run(
        request,
        obj,
        lambda: services.assign_task(task, owner=owner, due_on=due_on, actor=request.user),
        _("%(system)s: the task is given to %(user)s.")
        % {"system": task.system.name, "user": owner},
    )


def withdraw_consents_view(model_admin, request, object_id):
    obj = model_admin._object_for_change(request, object_id)
    activity_ids = [int(v) for v in request.POST.getlist("activity") if v.isdigit()]
    if not activity_ids:
        model_admin.message_user(request, _("Choose the consents to withdraw."), messages.ERROR)
        return model_admin._back(obj)
    return model_admin._run(
        request,
        obj,
        lambda: fulfilment.withdraw_consents(obj, actor=request.user, activities=activity_ids),
        _("The consents are withdrawn from the day the request was received."),
    )


def complete_view(model_admin, request, object_id):
    """A confirmation page first: completing a deletion erases the person irreversibly."""
    obj = model_admin.get_object(request, object_id)
    if obj is None:
        raise Http404
    if not model_admin.has_change_permission(request, obj):
        raise Http404
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        obj = model_admin._object_for_change(request, object_id)
        letter_channel = request.POST.get("letter_channel", "")
        if obj.kind == RequestKind.DELETION and not letter_channel:
            model_admin.message_user(
                request,
                _("Choose how the answer is sent: the requester's details are erased on closing."),
                messages.ERROR,
            )
            return model_admin._back(obj)
        try:
            obj = fulfilment.complete_request(
                obj,
                actor=request.user,
                reason=request.POST.get("reason", ""),
                letter_language=letter_channel and request.POST.get("letter_language"),
                letter_channel=letter_channel,
            )
        except ValidationError as error:
            model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            if obj.is_open:  # four eyes: the first approval is recorded
                model_admin.message_user(
                    request,
                    _(
                        "Your approval is recorded. A second DPO must confirm it before the "
                        "person is erased."
                    ),
                    messages.INFO,
                )
            else:
                model_admin.message_user(
                    request,
                    _("The request is closed and its answer prepared.")
                    if letter_channel
                    else _("The request is closed; prepare the response letter."),
                    messages.SUCCESS,
                )
                warn_if_naming_a_person(request, obj, ("outcome_reason",))
        return model_admin._back(obj)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    tasks = list(obj.tasks.select_related("system"))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Complete request %(ref)s") % {"ref": obj.reference},
        "opts": model_admin.opts,
        "original": obj,
        "request_obj": obj,
        "tasks": tasks,
        "open_tasks": [task for task in tasks if task.status == TaskStatus.OPEN],
        "outcome": fulfilment.outcome_for(tasks),
        "closing_problems": lifecycle.closing_problems(
            obj, fulfilment.outcome_for(tasks), tasks=tasks
        ),
        "kept_explanation": fulfilment.kept_explanation(tasks),
        "is_deletion": obj.kind == RequestKind.DELETION,
        "languages": letters.letter_languages(obj),
    }
    return TemplateResponse(request, "requests/fulfil_complete_confirm.html", context)


def start_package_view(model_admin, request, object_id):
    obj = model_admin._object_for_change(request, object_id)
    try:
        job = access.start_access_package(
            obj, actor=request.user, language=request.POST.get("language")
        )
    except ValidationError as error:
        model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
        return model_admin._back(obj)
    model_admin.message_user(
        request, _("The access package is being built: follow its progress here."), messages.INFO
    )
    return redirect("admin:jobs_job_change", job.pk)


def download_package_view(model_admin, request, object_id, job_id):
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    obj = model_admin.get_object(request, object_id)
    if obj is None or not model_admin.has_view_permission(request, obj):
        raise Http404
    job = access.package_jobs(obj).filter(pk=job_id, result__isnull=False).first()
    if job is None:
        raise Http404
    response = HttpResponse(bytes(job.result), content_type=job.result_content_type)
    response["Content-Disposition"] = f'attachment; filename="{job.result_name}"'
    return response
