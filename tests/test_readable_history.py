"""History pages read as sentences a DPO understands, in the interface language: the fields'
verbose names, choice labels, Yes/No, Baku time without microseconds, who changed it, and
"erased person #45" where simple-history would say "Deleted … (pk=None)"."""

import datetime
import html as html_lib
import re

import pytest
from django.test import Client
from django.utils import timezone, translation
from simple_history.models import DeletedObject

from consent.models import ProcessingActivity
from dpo_portal.history import readable_value
from dpo_portal.register.models import DataCategory, DataSubject, Sensitivity
from tests.consent.helpers import consent_url, make_activity
from tests.factories import Role, make_category, make_organisation, make_user
from tests.register.helpers import admin_url


def history_text(user, url, language):
    client = Client()
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": language, "next": url})
    html = client.get(url).content.decode()
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected", "raw"),
    [
        ("az", ["Həssaslıq", "Adi", "İdentifikator", "Tarixçə", "Dəyişdirildi"],
         ["ordinary", "identifier", "View history"]),
        ("en", ["Sensitivity", "Ordinary", "Identifier", "History of", "Changed"],
         ["ordinary →", "View history"]),
    ],
)  # fmt: skip
def test_history_shows_verbose_names_and_choice_labels(language, expected, raw):
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation, first_name="Aysel", last_name="Quliyeva")
    category = make_category(organisation, "contact", sensitivity=Sensitivity.ORDINARY)
    category.sensitivity = Sensitivity.IDENTIFIER
    category._history_user = dpo
    category.save()

    text = history_text(dpo, admin_url("datacategory", "history", category.pk), language)

    for word in expected:
        assert word in text, word
    for word in raw:
        assert word not in text, word
    assert "Aysel Quliyeva" in text


@pytest.mark.django_db
def test_history_says_yes_and_no_instead_of_true_and_false():
    organisation = make_organisation()
    officer = make_user(Role.COMPLIANCE, organisation)
    activity = make_activity(organisation, "lending", dpia_needed=False)
    activity.dpia_needed = True
    activity.save()

    text = history_text(officer, consent_url("processingactivity", "history", activity.pk), "az")

    assert "DPIA" in text and "Xeyr → Bəli" in text.replace("\xa0", " ")
    assert "False" not in text and "True" not in text
    assert ProcessingActivity.objects.get(pk=activity.pk).dpia_needed


def test_values_read_as_people_read_them():
    moment = datetime.datetime(2026, 3, 5, 8, 30, 15, 123456, tzinfo=datetime.UTC)
    with translation.override("en"), timezone.override("Asia/Baku"):
        assert readable_value(None, DeletedObject(DataSubject, 45)) == "erased person #45"
        assert readable_value(None, DeletedObject(DataCategory, None)) == "—"
        assert readable_value(None, DeletedObject(DataCategory, 7)) == "deleted data category #7"
        shown = readable_value(None, moment)
        assert "12:30" in shown and "123456" not in shown and ":15" not in shown
    with translation.override("az"):
        assert readable_value(None, DeletedObject(DataSubject, 45)) == "silinmiş şəxs #45"
        field = DataCategory._meta.get_field("sensitivity")
        assert readable_value(field, Sensitivity.SPECIAL.value) == str(Sensitivity.SPECIAL.label)
