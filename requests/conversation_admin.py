"""The conversation part of the request page: the messages in order, and the form the DPO
writes to the requester with (optionally asking for information, which stops the clock)."""

from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils.translation import gettext as _

from . import conversation


def admin_urls(model_admin):
    def view(func):
        return model_admin.admin_site.admin_view(
            lambda request, object_id, **kwargs: func(model_admin, request, object_id, **kwargs)
        )

    return [path("<path:object_id>/messages/new/", view(write_view), name="requests_message")]


def page_context(request, obj):
    return {
        "conversation": conversation.messages_of(obj),
        "may_write": obj.is_open and not obj.requester_scrubbed and bool(obj.requester_email),
    }


def write_view(model_admin, request, object_id):
    obj = model_admin._object_for_change(request, object_id)
    if not request.user.has_perm("requests.change_subjectrequest"):
        raise PermissionDenied
    asks = request.POST.get("asks_for_information") == "1"
    return model_admin._run(
        request,
        obj,
        lambda: conversation.write_to_person(
            obj,
            body=request.POST.get("body", ""),
            acting_user=request.user,
            asks_for_information=asks,
        ),
        _("The message is on the requester's status page; they were told by e-mail.")
        + (" " + _("The deadline is paused until they answer.") if asks else ""),
    )
