"""Every mail the portal sends reads names as written in its text part and escaped in its HTML part.

The templates are found, not listed: every ``.txt`` under an ``email/`` folder of any template
directory (see dpo_portal/notifications/mail.py), so a mail added later is covered too.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail as outbox
from django.template.utils import get_app_template_dirs

from dpo_portal.notifications.mail import render_mail
from dpo_portal.notifications.models import send_once
from tests.factories import make_organisation, make_user

NAME = '"AllAll Finance" MMC & Co'
ESCAPED = "&quot;AllAll Finance&quot; MMC &amp; Co"


def mail_templates():
    dirs = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]] + list(
        get_app_template_dirs("templates")
    )
    found = set()
    for directory in dirs:
        for path in directory.glob("**/email/*.txt"):
            found.add(path.relative_to(directory).with_suffix("").as_posix())
    return sorted(found)


class Named(int):
    """Stands for any object a mail template looks at: every attribute, item and loop of it is
    again a Named, and each prints as the tricky name. Lets one test render every template
    without knowing what it iterates over. An int (2) so that plural counts accept it."""

    def __new__(cls):
        return super().__new__(cls, 2)

    def __str__(self):
        return NAME

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Named()

    def __getitem__(self, key):
        return Named()

    def __iter__(self):
        return iter([Named(), Named()])

    def __len__(self):
        return 2


def context_for(template_name):
    source = next(
        path.read_text()
        for directory in [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
        + list(get_app_template_dirs("templates"))
        if (path := directory / f"{template_name}.txt").exists()
    )
    names = set(re.findall(r"\{\{\s*(\w+)", source))
    names |= set(re.findall(r"\{%\s*(?:for\s+\w+(?:\s*,\s*\w+)*\s+in|if|with)\s+(\w+)", source))
    names |= set(re.findall(r"=\s*(\w+)", source))
    return {name: Named() for name in names}


def test_the_portal_has_mail_templates_to_check():
    # Guards the discovery itself: these three mails exist today.
    assert {
        "register/email/registration_reminder",
        "requests/email/overdue_reminder",
        "requests/email/assignee_reminder",
    } <= set(mail_templates())


@pytest.mark.parametrize("template_name", mail_templates())
def test_mail_reads_names_unescaped_in_text_and_escaped_in_html(template_name):
    mail = render_mail(template_name, context_for(template_name))
    assert NAME in mail.text
    assert "&quot;" not in mail.text and "&amp;" not in mail.text and "&#x27;" not in mail.text
    assert ESCAPED in mail.html
    assert NAME not in mail.html


@pytest.mark.django_db
def test_a_sent_reminder_carries_both_parts():
    organisation = make_organisation(name=NAME)
    user = make_user(username="dpo-mail", email="dpo@example.org")
    mail = render_mail(
        "register/email/registration_reminder", {"organisation": organisation, "systems": []}
    )
    assert send_once(
        kind="test",
        organisation=organisation,
        user=user,
        period="2026-12-01",
        subject="s",
        mail=mail,
    )
    (sent,) = outbox.outbox
    assert NAME in sent.body
    html, mimetype = sent.alternatives[0]
    assert mimetype == "text/html" and ESCAPED in html
