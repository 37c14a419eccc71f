"""Weekly reminders: information systems that must be in the state register but are not; in
December, the coming year's calendar decision not yet recorded."""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dpo_portal.legal.models import CalendarDecision
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


def send_calendar_decision_reminders(on=None):
    """In December (Labour Code art. 105.4: the Cabinet fixes the next year's bayram dates by the
    end of December), each week until it is recorded: ask the DPOs of the organisations whose
    calendar has no decision for the coming year yet to record it. Once per user and week."""
    on = on or timezone.localdate()
    if on.month != 12:
        return 0
    year = on.year + 1
    decided = set(CalendarDecision.objects.filter(year=year).values_list("country", flat=True))
    users = get_user_model().objects.filter(is_active=True)
    add_url = reverse("admin:legal_calendardecision_add")
    sent = 0
    for organisation in Organisation.objects.exclude(country__in=decided):
        language = (organisation.language_list or ["az"])[0]
        with translation.override(language):
            subject = _("Record the Cabinet's calendar decision for %(year)d") % {"year": year}
            mail = render_mail(
                "register/email/calendar_decision_reminder",
                {"organisation": organisation, "year": year, "add_url": add_url},
            )
        for user in users.filter(
            memberships__organisation=organisation, memberships__role=Role.DPO
        ).distinct():
            sent += send_once(
                kind="legal.calendar_decision",
                organisation=organisation,
                user=user,
                period=week_period(on),
                subject=subject,
                mail=mail,
            )
    return sent
