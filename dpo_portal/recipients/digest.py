"""Weekly digest of the recipient register: reviews overdue and contracts expiring (or expired),
one e-mail per organisation to each of its compliance officers, at most once per ISO week."""

from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dpo_portal.notifications.mail import render_mail
from dpo_portal.notifications.models import send_once
from dpo_portal.register.models import Organisation, Recipient, Role
from dpo_portal.register.reminders import week_period

KIND = "register.recipient_digest"
EXPIRY_WINDOW_DAYS = 60


def digest_items(on):
    """{organisation_id: {"overdue": [...], "expiring": [...], "expired": [...]}}: three
    queries over every organisation at once."""
    found = {}
    lists = {
        "overdue": Recipient.objects.review_overdue(on).order_by("next_review_due", "name"),
        "expiring": Recipient.objects.contract_expiring(on, EXPIRY_WINDOW_DAYS).order_by(
            "contract_expires_on", "name"
        ),
        "expired": Recipient.objects.contract_expired(on).order_by("contract_expires_on", "name"),
    }
    for key, queryset in lists.items():
        for recipient in queryset.only(
            "organisation_id", "name", "code", "next_review_due", "contract_expires_on"
        ):
            items = found.setdefault(
                recipient.organisation_id, {"overdue": [], "expiring": [], "expired": []}
            )
            items[key].append(recipient)
    return found


def send_recipient_digests(on=None):
    """Returns the number of mails sent; a second run in the same week sends none."""
    on = on or timezone.localdate()
    period = week_period(on)
    found = digest_items(on)
    users = get_user_model().objects.filter(is_active=True)
    sent = 0
    for organisation in Organisation.objects.filter(pk__in=found).order_by("name"):
        items = found[organisation.pk]
        count = sum(len(v) for v in items.values())
        language = (organisation.language_list or ["az"])[0]
        with translation.override(language):
            subject = _("%(organisation)s: %(count)d recipients need attention") % {
                "organisation": organisation.name,
                "count": count,
            }
            mail = render_mail(
                "recipients/email/digest",
                {"organisation": organisation, "on": on, **items},
            )
        # One filter() call: the role must be held in *this* organisation.
        officers = users.filter(
            memberships__organisation=organisation, memberships__role=Role.COMPLIANCE
        ).distinct()
        for user in officers:
            sent += send_once(
                kind=KIND,
                organisation=organisation,
                user=user,
                period=period,
                subject=subject,
                mail=mail,
                item_count=count,
            )
    return sent
