"""Every string the portal marks for translation has an Azerbaijani translation, and the shipped
catalogues are compiled: a new message without a translation fails here, not in front of a user."""

import re
import shutil
import subprocess

from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

SKIPPED_DIRS = (
    ".venv",
    ".git",
    "var",
    "bench",
    "tests",
    "node_modules",
    "staticfiles",
    "__pycache__",
)


def catalogue_statistics(po_file):
    result = subprocess.run(
        ["msgfmt", "--statistics", "-o", "/dev/null", str(po_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    counts = dict.fromkeys(("translated", "fuzzy", "untranslated"), 0)
    for number, kind in re.findall(r"(\d+) (translated|fuzzy|untranslated)", result.stderr):
        counts[kind] = int(number)
    return counts


def test_every_marked_string_has_an_azerbaijani_translation(tmp_path, monkeypatch):
    # makemessages writes into the locale folder nearest each source file, so it runs over a copy
    # of the sources and the shipped catalogue: the catalogue in the repository is left alone.
    copy = tmp_path / "portal"
    shutil.copytree(settings.BASE_DIR, copy, ignore=shutil.ignore_patterns(*SKIPPED_DIRS))
    monkeypatch.chdir(copy)
    # Strings added since the catalogue was last translated come out untranslated (or fuzzy,
    # when a near twin exists).
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command("makemessages", locale=["az"], verbosity=0)

    counts = catalogue_statistics(copy / "locale" / "az" / "LC_MESSAGES" / "django.po")
    assert counts["translated"] > 900
    assert counts["untranslated"] == 0 and counts["fuzzy"] == 0, (
        f"{counts['untranslated']} untranslated and {counts['fuzzy']} fuzzy messages: "
        "run `make messages` and translate locale/az/LC_MESSAGES/django.po"
    )


def test_the_compiled_azerbaijani_catalogue_is_in_use():
    with translation.override("az"):
        assert translation.gettext("Data categories used nowhere") == (
            "Heç yerdə istifadə olunmayan məlumat kateqoriyaları"
        )
    with translation.override("en"):
        assert translation.gettext("Data categories used nowhere") == (
            "Data categories used nowhere"
        )
