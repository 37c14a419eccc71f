from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_otp import devices_for_user

from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import Organisation


def reset_second_factor(user, *, actor):
    """Remove every second-factor device of ``user``: at the next sign-in they enrol again.

    Superusers only. Audited in each organisation the user is a member of, and in the admin log
    of the user (which a superuser without memberships also has).
    """
    if not actor.is_superuser:
        raise PermissionDenied
    with transaction.atomic():
        removed = 0
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            removed += 1
        for organisation in Organisation.objects.filter(memberships__user=user).distinct():
            AuditEvent.record(
                "second_factor.reset",
                organisation=organisation,
                actor=actor,
                target=user,
                devices_removed=removed,
            )
        LogEntry.objects.log_actions(
            user_id=actor.pk,
            queryset=[user],
            action_flag=CHANGE,
            change_message=[{"changed": {"fields": ["second factor (reset)"]}}],
            single_object=True,
        )
    return removed
