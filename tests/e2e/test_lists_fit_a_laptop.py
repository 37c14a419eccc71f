"""Every list fits a 1366x768 laptop: as the demo DPO, in Azerbaijani and in English, no
changelist of the admin is wider than the window, nor its table wider than the box that shows
it (every column visible without scrolling sideways; the rest is on the object's page).
Screenshots of each list under /tmp/i10/lists/."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.test.utils import override_settings
from django.urls import reverse

from tests.factories import login

SHOTS = Path("/tmp/i10/lists")
WIDTH, HEIGHT = 1366, 768


def changelists():
    return sorted(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    )


@pytest.mark.timeout(900)
def test_no_changelist_is_wider_than_a_laptop_window_in_either_language(page, live_server):
    with override_settings(DEBUG=True):  # the demo loads as under `make run`
        call_command("load_demo", subjects=12, stdout=io.StringIO())
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    login(page, live_server, "demo-dpo", settings.DEMO_PASSWORD)

    too_wide, seen = [], 0
    for language in ("az", "en"):
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        for url in changelists():
            response = page.goto(f"{live_server.url}{url}")
            if response.status != 200 or not page.locator("#changelist").count():
                continue  # a list this role may not see (403) is no list of theirs
            seen += 1
            # Neither the page nor the list's own box (Django scrolls the table inside
            # .results, hiding the columns on the right) is wider than what is shown.
            width, inner, table, box = page.evaluate(
                """() => {
                    const results = document.querySelector("#changelist .results");
                    return [document.scrollingElement.scrollWidth, window.innerWidth,
                            results ? results.scrollWidth : 0, results ? results.clientWidth : 0];
                }"""
            )
            name = url.strip("/").replace("/", "_")
            page.screenshot(path=str(SHOTS / f"{name}-{language}.png"))
            if width > inner or table > box:
                too_wide.append(
                    f"{language} {url}: page {width} px in a {inner} px window, "
                    f"table {table} px in a {box} px box"
                )

    # Guards the walk: the DPO's main lists were reached in both languages.
    assert seen > 30, seen
    assert not too_wide, "\n".join(too_wide)
