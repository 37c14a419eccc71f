"""No admin page answers 500, for any role: a crawl driven by the admin site's URL resolver.

Every URL pattern of the admin site and of every registered ModelAdmin (changelist, add, change,
delete, history, history versions, and each custom view from get_urls) is requested with real
object ids of the demo data, as each demo role and a superuser: a GET, and a POST of every form
the page posts back to itself, with the values it shows. Nothing is listed by hand: a page added
by any app is crawled too.

An exception in a view is caught with its traceback (the test client re-raises it), every one is
collected, and the test fails listing them all. Each POST runs in a savepoint that is rolled back,
so a delete or an approval does not take the object away from the pages crawled after it.
"""

import io
import traceback
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, reverse

from dpo_portal.register.demo import DEMO_USERS
from dpo_portal.register.models import OrganisationOwned

pytestmark = pytest.mark.django_db

# Site views that end the session or are not pages of the portal.
NOT_CRAWLED = {"logout", "view_on_site", "jsi18n", "autocomplete"}
IDS_PER_MODEL = 1  # per organisation for organisation-owned models, else in all


# --- which URLs -------------------------------------------------------------------------------


def walk(patterns, prefix=""):
    """(pattern name, its parameter names) of every named pattern under ``patterns``."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            regex = pattern.pattern.regex
            # Unnamed groups (simple-history's re_path) are taken as (object_id, version_id).
            positional = ["object_id", "version_id"][: regex.groups] if not regex.groupindex else []
            yield pattern.name, set(regex.groupindex) | {f"*{p}" for p in positional}


def sample_ids(model):
    queryset = model._default_manager.order_by("pk")
    if issubclass(model, OrganisationOwned):
        ids = []
        for organisation_id in queryset.values_list("organisation_id", flat=True).distinct():
            ids += list(
                queryset.filter(organisation_id=organisation_id).values_list("pk", flat=True)[
                    :IDS_PER_MODEL
                ]
            )
        return ids
    return list(queryset.values_list("pk", flat=True)[:IDS_PER_MODEL])


def version_ids(model, object_id):
    history = getattr(model, "history", None)
    if history is None or not hasattr(model._meta, "simple_history_manager_attribute"):
        return []
    return list(
        history.model.objects.filter(id=object_id)
        .order_by("-history_id")
        .values_list("history_id", flat=True)[:1]
    )


def model_urls(model_admin):
    model = model_admin.model
    ids = sample_ids(model)
    for name, params in walk(model_admin.get_urls()):
        if not params:
            yield from _try_reverse(name, {})
            continue
        if any(p.startswith("*") for p in params):
            for object_id in ids:
                if "*version_id" in params:
                    for version_id in version_ids(model, object_id):
                        yield from _try_reverse(name, args=[object_id, version_id])
                else:
                    yield from _try_reverse(name, args=[object_id])
            continue
        if params - {"object_id", "version_id"}:
            # A custom view with other parameters: fill every int-like one with the model's ids.
            for object_id in ids:
                yield from _try_reverse(name, dict.fromkeys(params, object_id))
            continue
        for object_id in ids:
            if "version_id" in params:
                for version_id in version_ids(model, object_id):
                    yield from _try_reverse(
                        name, {"object_id": object_id, "version_id": version_id}
                    )
            else:
                yield from _try_reverse(name, {"object_id": object_id})


def _try_reverse(name, kwargs=None, args=None):
    try:
        yield reverse(f"admin:{name}", kwargs=kwargs, args=args)
    except NoReverseMatch:
        pass


def site_urls():
    model_patterns = {
        id(p) for model_admin in admin.site._registry.values() for p in model_admin.urls
    }
    app_labels = {model._meta.app_label for model in admin.site._registry}
    for pattern in admin.site.get_urls():
        if isinstance(pattern, URLResolver) or pattern.name in NOT_CRAWLED or not pattern.name:
            continue
        if id(pattern) in model_patterns:
            continue
        params = set(pattern.pattern.regex.groupindex)
        if not params:
            yield reverse(f"admin:{pattern.name}")
        elif params == {"app_label"}:
            for label in sorted(app_labels):
                yield from _try_reverse(pattern.name, {"app_label": label})


def all_urls():
    urls = list(site_urls())
    for model_admin in admin.site._registry.values():
        urls += model_admin_urls(model_admin)
    return urls


def model_admin_urls(model_admin):
    return list(dict.fromkeys(model_urls(model_admin)))


# --- forms --------------------------------------------------------------------------------------


class Forms(HTMLParser):
    """The POST forms of a page, each as (action, [(name, value), ...]) with the values shown."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "get").lower() == "post":
            self._form = (attrs.get("action") or "", [])
            self.forms.append(self._form)
        if self._form is None or ("name" not in attrs and tag != "option"):
            return
        fields = self._form[1]
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            if kind in {"submit", "button", "image", "file"}:
                if kind == "submit" and not any(n == attrs["name"] for n, _v in fields):
                    fields.append((attrs["name"], attrs.get("value", "")))
                return
            fields.append(
                (attrs["name"], attrs.get("value") or ("on" if kind == "checkbox" else ""))
            )
        elif tag == "select":
            # name, multiple, selected values, first value
            self._select = [attrs["name"], "multiple" in attrs, [], None]
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if "selected" in attrs:
                self._select[2].append(value)
            if self._select[3] is None:
                self._select[3] = value
        elif tag == "textarea":
            self._textarea = [attrs["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            # What a browser submits: the selected options, else a single select's first one.
            name, multiple, selected, first = self._select
            if not selected and not multiple and first is not None:
                selected = [first]
            self._form[1].extend((name, value) for value in selected)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form[1].append(tuple(self._textarea))
            self._textarea = None


def post_forms(html, url):
    """The forms of the page that post back to the page itself."""
    parser = Forms()
    parser.feed(html)
    path = urlsplit(url).path
    for action, fields in parser.forms:
        if action in {"", "."} or urlsplit(action).path == path:
            data = defaultdict(list)
            for name, value in fields:
                data[name].append(value)
            yield dict(data)


# --- the crawl ------------------------------------------------------------------------------------


def crawl(user, urls):
    """Every URL as ``user``: the failures, each with the request and its traceback."""
    client = Client(raise_request_exception=True)
    client.force_login(user)
    failures = []
    for url in urls:
        try:
            response = client.get(url)
        except Exception:
            failures.append(f"GET {url} as {user.username}\n{traceback.format_exc()}")
            continue
        if response.status_code >= 500:
            failures.append(f"GET {url} as {user.username}: {response.status_code}")
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for data in post_forms(response.content.decode(), url):
            try:
                with transaction.atomic():
                    response = client.post(url, data)
                    transaction.set_rollback(True)
            except Exception:
                failures.append(
                    f"POST {url} as {user.username} {sorted(data)}\n{traceback.format_exc()}"
                )
                continue
            finally:
                client.force_login(user)  # a POST may have ended or rotated the session
            if response.status_code >= 500:
                failures.append(f"POST {url} as {user.username}: {response.status_code}")
    return failures


@pytest.mark.timeout(1500)  # about 400 URLs for each of six users on a shared 2-core machine
def test_no_admin_page_answers_500_for_any_role(settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = True
    with override_settings(DEBUG=True):  # the demo loads as under `make run`
        call_command("load_demo", subjects=12, stdout=io.StringIO())
    urls = all_urls()
    # Guards the walk itself: the crawl reaches change, history and custom pages of the apps.
    assert any(url.endswith("/history/") for url in urls)
    assert any("/retention/record/sweep/" in url for url in urls)
    assert len(urls) > 150, len(urls)
    users = get_user_model().objects.filter(username__in=[u[0] for u in DEMO_USERS])
    assert users.count() == len(DEMO_USERS)
    failures = []
    for user in users.order_by("username"):
        failures += crawl(user, urls)
    assert not failures, f"{len(failures)} failures\n\n" + "\n\n".join(failures)
