"""The attachments part of the request page: upload, list and the one checked download.

A role without the right to see requests at all (a manager) is refused (403); a request or an
attachment of another organisation answers 404, as if it did not exist. Auditors may read.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _

from dpo_portal.audit.models import AuditEvent

from . import attachments
from .models import AttachmentKind, RequestAttachment


def admin_urls(model_admin):
    def view(func):
        return model_admin.admin_site.admin_view(
            lambda request, object_id, **kwargs: func(model_admin, request, object_id, **kwargs)
        )

    return [
        path(
            "<path:object_id>/attachments/new/",
            view(upload_view),
            name="requests_attachment_upload",
        ),
        path(
            "<path:object_id>/attachments/<int:attachment_id>/",
            view(download_view),
            name="requests_attachment_download",
        ),
    ]


def page_context(request, obj):
    return {
        "attachments": obj.attachments.select_related("uploaded_by"),
        "attachment_kinds": AttachmentKind.choices,
        "attachment_types": ", ".join(attachments.ACCEPTED_TYPES),
        "attachment_max_bytes": attachments.max_bytes(),
        "may_attach": request.user.has_perm("requests.add_requestattachment"),
    }


def upload_view(model_admin, request, object_id):
    obj = model_admin._object_for_change(request, object_id)
    if not request.user.has_perm("requests.add_requestattachment"):
        raise PermissionDenied
    upload = request.FILES.get("file")
    if upload is None:
        model_admin.message_user(request, _("Choose the file to attach."), messages.ERROR)
        return model_admin._back(obj)
    return model_admin._run(
        request,
        obj,
        lambda: attachments.attach_file(
            obj, upload, kind=request.POST.get("kind", ""), actor=request.user
        ),
        _("The document is attached."),
    )


def download_view(model_admin, request, object_id, attachment_id):
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    obj = model_admin.get_object(request, object_id)
    if obj is None or not model_admin.has_view_permission(request, obj):
        raise Http404
    attachment = get_object_or_404(RequestAttachment, pk=attachment_id, request=obj)
    try:
        handle = attachments.open_file(attachment)
    except (FileNotFoundError, ValidationError) as error:
        raise Http404 from error
    AuditEvent.record(
        "requests.attachment_read",
        organisation=obj.organisation,
        actor=request.user,
        target=obj,
        attachment_id=attachment.pk,
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachments.download_name(attachment),
        content_type=attachments.CONTENT_TYPES[attachment.file_type],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
