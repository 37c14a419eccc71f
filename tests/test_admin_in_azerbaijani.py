"""Every admin page, as each demo role, wholly in Azerbaijani: the crawl fails on any English word
of the interface it shows, and on any msgid of our catalogue or of the libraries' catalogues
(Django admin, django-import-export, django-simple-history, django-axes) shown without an
Azerbaijani translation."""

import re
from html.parser import HTMLParser
from pathlib import Path

import axes
import django
import django.contrib.auth
import import_export
import pytest
import simple_history
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from dpo_portal.register.demo import DEMO_USERS
from tests.admin_crawl import admin_page_urls
from tests.factories import make_user

# Words of the admin's own interface that mean an untranslated page when they show in Azerbaijani.
ENGLISH_WORDS = [
    "Home", "Add", "Change", "Delete", "Save", "Search", "History", "Import", "Export",
    "Filter", "Log out", "View site", "Submit", "Preview", "None", "True", "False", "Yes", "No",
    "Changed by", "Date/time", "Comment", "Object", "Go", "Action", "results", "selected",
    "Select all", "Confirm import", "File to import", "Show counts", "Clear all filters",
    "Recent actions", "Welcome", "Documentation", "Change password", "Dashboard", "Open",
    "Deleted", "pk=None", "through import_export",
]  # fmt: skip
PLACEHOLDER = re.compile(r"%(\([^)]*\))?[sd]|\{[^}]*\}")


class VisibleText(HTMLParser):
    """The text a person reads as the interface: text nodes outside script/style, and button
    labels. A textarea, and the field row of an entry's English value ("Name [en]", shown
    read-only to an auditor), hold content the DPO typed, not the interface: not read. Nor the
    values of a user's password summary (the algorithm and the first characters of the salt and
    hash, in <bdi>): random letters, which now and then begin with "Go" or "No"."""

    SKIPPED = {"script", "style", "template", "textarea", "bdi"}

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0
        self._divs, self._english_rows = 0, []  # div depth; depths of English value rows

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div":
            self._divs += 1
            classes = (attrs.get("class") or "").split()
            if any(c.startswith("field-") and c.endswith("_en") for c in classes):
                self._english_rows.append(self._divs)
                self._skip += 1
        if tag in self.SKIPPED:
            self._skip += 1
        if tag == "input" and attrs.get("type") in {"submit", "button"} and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "div":
            if self._english_rows and self._english_rows[-1] == self._divs:
                self._english_rows.pop()
                self._skip -= 1
            self._divs -= 1
        if tag in self.SKIPPED:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_text(html):
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def catalogue_msgids():
    """Every msgid of our catalogue and of the libraries' (read from any of their .po files)."""
    sources = [Path("locale/az/LC_MESSAGES/django.po")]
    for package in (import_export, simple_history):
        sources += Path(package.__file__).parent.glob("locale/*/LC_MESSAGES/django.po")
    sources += Path(django.__file__).parent.glob("contrib/admin/locale/az/LC_MESSAGES/django.po")
    sources += Path(axes.__file__).parent.glob("locale/*/LC_MESSAGES/django.po")
    msgids = set()
    for path in sources:
        for match in re.finditer(r'^msgid "(.+)"$', path.read_text(encoding="utf-8"), re.M):
            msgids.add(match.group(1).replace('\\"', '"'))
    return msgids


def untranslated_patterns():
    """Regexes of msgids the Azerbaijani catalogue (ours merged over the libraries') lacks."""
    catalog = trans_real.translation("az")._catalog
    patterns = []
    for msgid in catalogue_msgids():
        if msgid in catalog or (msgid, 0) in catalog:
            continue
        literal = PLACEHOLDER.split(msgid)
        text = ".+?".join(re.escape(part) for part in literal if part is not None)
        if len(re.sub(r"\W", "", msgid)) >= 4:  # a word or more; not "%s" or "ID"
            patterns.append((msgid, re.compile(rf"(?<!\w){text}(?!\w)")))
    return patterns


def english_on(text, patterns):
    found = [w for w in ENGLISH_WORDS if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]
    found += [msgid for msgid, pattern in patterns if pattern.search(text)]
    return found


@pytest.mark.django_db
@pytest.mark.timeout(900)  # a few hundred pages for each role, on a shared 2-core machine
def test_every_admin_page_is_wholly_azerbaijani_for_every_role(settings):
    with override_settings(DEBUG=True):  # the demo loads as under `make run`
        call_command("load_demo", "--subjects", "30", stdout=open("/dev/null", "w"))
    with translation.override("az"):
        patterns = untranslated_patterns()
    urls = admin_page_urls()
    problems = []
    # One user per role, and the superuser ("demo-dpo-both" is a DPO again).
    for username, *_rest in (user for user in DEMO_USERS if user[0] != "demo-dpo-both"):
        client = Client(HTTP_ACCEPT_LANGUAGE="az")
        client.force_login(django.contrib.auth.get_user_model().objects.get(username=username))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "az"
        for url in urls:
            response = client.get(url)
            if response.status_code in (301, 302) or "text/html" not in response["Content-Type"]:
                continue
            found = english_on(visible_text(response.content.decode()), patterns)
            if found:
                problems.append(f"{username} {url} [{response.status_code}]: {found}")
    assert not problems, f"{len(problems)} pages show English:\n" + "\n".join(problems[:60])


@pytest.mark.django_db
def test_a_password_salt_shown_on_the_user_page_is_not_taken_for_english(client, settings):
    """The user page shows the first characters of the password's random salt. One run in a few
    thousand, the salt began with "Go", and the crawl above reported an English "Go" there."""
    admin = make_user(superuser=True, username="salted-admin")
    admin.password = make_password("a password", salt="Go" + "x" * 20)
    admin.save()
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "az"
    response = client.get(
        reverse("admin:auth_user_change", args=[admin.pk]), HTTP_ACCEPT_LANGUAGE="az"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Go" + "*" * 20 in html  # shown, as it comes
    assert '<html lang="az"' in html
    assert english_on(visible_text(html), []) == []
