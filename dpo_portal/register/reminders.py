"""Weekly reminder: information systems that must be in the state register but are not."""

from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from django.utils.translation import ngettext

from dpo_portal.notifications.mail import render_mail
from dpo_portal.notifications.models import send_once

from .models import Organisation, Role, System


def week_period(on=None):
    year, week, _weekday = (on or timezone.localdate()).isocalendar()
    return f"{year}-W{week:02d}"


def send_system_registration_reminders(on=None):
    period = week_period(on)
    sent = 0
    pending = System.objects.needing_registration().order_by("organisation_id", "name")
    by_organisation = {}
    for system in pending:
        by_organisation.setdefault(system.organisation_id, []).append(system)
    users = get_user_model().objects.filter(is_active=True)
    for organisation in Organisation.objects.filter(pk__in=by_organisation):
        systems = by_organisation[organisation.pk]
        recipients = users.filter(
            memberships__organisation=organisation,
            memberships__role__in=[Role.DPO, Role.COMPLIANCE],
        ).distinct()
        language = (organisation.language_list or ["az"])[0]
        with translation.override(language):
            subject = ngettext(
                "%(organisation)s: %(count)d system needs state registration",
                "%(organisation)s: %(count)d systems need state registration",
                len(systems),
            ) % {"organisation": organisation.name, "count": len(systems)}
            mail = render_mail(
                "register/email/registration_reminder",
                {"organisation": organisation, "systems": systems},
            )
        for user in recipients:
            sent += send_once(
                kind="register.system_registration",
                organisation=organisation,
                user=user,
                period=period,
                subject=subject,
                mail=mail,
                item_count=len(systems),
            )
    return sent
