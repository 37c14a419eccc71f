"""Every register page is scoped to the organisations the user is a member of.

Two organisations, "Homemark" (the user's) and "Othermark" (not theirs), each hold one object of
every register model. For every model and every role, nothing of Othermark shows in the list, the
export or the autocomplete, and its objects' URLs answer as if they did not exist. What a role may
do at home succeeds; what it may not answers 403.
"""

import pytest
from django.apps import apps
from django.contrib import admin

from dpo_portal.register.models import DataCategory, Membership, Role, Sensitivity
from tests.factories import (
    make_category,
    make_organisation,
    make_recipient,
    make_source,
    make_subject,
    make_subject_type,
    make_system,
    make_user,
)
from tests.register.helpers import admin_url, log_in

MODELS = [
    "organisation",
    "datacategory",
    "subjecttype",
    "source",
    "system",
    "recipient",
    "datasubject",
    "membership",
]
EXPORTABLE = ["datacategory", "subjecttype", "source", "system", "recipient", "datasubject"]
ALL_MODELS = set(MODELS)

# What each role may see (DESIGN: managers see aggregates, never a person; only DPOs and
# auditors read who belongs to the organisation).
VIEWABLE = {
    Role.DPO: ALL_MODELS,
    Role.COMPLIANCE: ALL_MODELS - {"membership"},
    Role.MANAGER: ALL_MODELS - {"datasubject", "membership"},
    Role.AUDITOR: ALL_MODELS,
}
ROLES = list(VIEWABLE)


def _register_objects(organisation, mark, member):
    """One object of each register model in ``organisation``, each showing ``mark``."""
    category = make_category(organisation, name=f"{mark} category")
    subject_type = make_subject_type(organisation, name=f"{mark} type")
    return {
        "organisation": organisation,
        "datacategory": category,
        "subjecttype": subject_type,
        "source": make_source(organisation, name=f"{mark} source"),
        "system": make_system(organisation, name=f"{mark} system"),
        "recipient": make_recipient(organisation, name=f"{mark} recipient"),
        "datasubject": make_subject(
            organisation, first_name="Aysel", last_name=mark, subject_type=subject_type
        ),
        "membership": Membership.objects.get(user=member, organisation=organisation),
    }


@pytest.fixture
def home(db):
    return make_organisation(name="Homemark Org")


@pytest.fixture
def other(db):
    organisation = make_organisation(name="Othermark Org")
    colleague = make_user(Role.DPO, organisation, username="othermark-colleague")
    return _register_objects(organisation, "Othermark", colleague)


def user_with(role, home):
    return make_user(role, home, username=f"homemark-{role}")


@pytest.fixture
def signed_in(client, home):
    """A client signed in as a user with ``role`` in Homemark, which holds one of everything."""

    def sign_in(role):
        user = user_with(role, home)
        _register_objects(home, "Homemark", user)
        return log_in(client, user)

    return sign_in


def _autocomplete_source(model_name):
    """A (app_label, model, field) whose unrestricted link points at the model, for the
    autocomplete endpoint (any app's link will do: the endpoint scopes by the target's admin)."""
    target = apps.get_model("register", model_name)
    for model in apps.get_models():
        if model.__name__.startswith("Historical") or model not in admin.site._registry:
            continue
        for field in model._meta.get_fields():
            if (
                field.concrete
                and field.is_relation
                and field.related_model is target
                and not field.get_limit_choices_to()
            ):
                return model._meta.app_label, model._meta.model_name, field.name
    return None


AUTOCOMPLETE = [m for m in MODELS if _autocomplete_source(m)]


def _can_view(role, model_name):
    return model_name in VIEWABLE[role]


# --- the other organisation shows nothing ---------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model_name", MODELS)
def test_list_shows_only_own_organisation(signed_in, other, role, model_name):
    response = signed_in(role).get(admin_url(model_name, "changelist"))

    if _can_view(role, model_name):
        assert response.status_code == 200
        assert "Homemark" in response.text
        assert "Othermark" not in response.text
    else:
        assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model_name", MODELS)
def test_other_organisations_object_pages_do_not_exist(signed_in, other, role, model_name):
    client = signed_in(role)
    pk = other[model_name].pk

    change = client.get(admin_url(model_name, "change", pk))
    history = client.get(admin_url(model_name, "history", pk))
    post = client.post(admin_url(model_name, "change", pk), {"name_az": "Hijacked"})

    # A role that may see the model at all is told the object does not exist; one that may not
    # is refused before anything is looked up.
    assert change.status_code == (404 if _can_view(role, model_name) else 403)
    assert history.status_code == (404 if _can_view(role, model_name) else 403)
    assert post.status_code in (403, 404)
    for response in (change, history, post):
        assert "Othermark" not in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model_name", EXPORTABLE)
def test_export_contains_only_own_organisation(signed_in, other, role, model_name):
    model_admin = admin.site._registry[apps.get_model("register", model_name)]
    resource = model_admin.get_export_resource_classes(None)[0]
    form = {"format": "0", "resource": "0"}  # CSV, the model's only resource
    form.update({f"{resource.__name__.lower()}_{f}": "on" for f in resource().get_export_order()})

    response = signed_in(role).post(admin_url(model_name, "export"), form)

    if _can_view(role, model_name):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        content = response.content.decode()
        assert "Homemark" in content
        assert "Othermark" not in content
    else:
        assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model_name", AUTOCOMPLETE)
def test_autocomplete_offers_only_own_organisation(signed_in, other, role, model_name):
    app_label, source_model, field = _autocomplete_source(model_name)

    response = signed_in(role).get(
        "/admin/autocomplete/",
        {"app_label": app_label, "model_name": source_model, "field_name": field, "term": ""},
    )

    if _can_view(role, model_name):
        assert response.status_code == 200
        texts = [item["text"] for item in response.json()["results"]]
        assert any("Homemark" in text for text in texts)
        assert not any("Othermark" in text for text in texts)
    else:
        assert response.status_code == 403


# --- what each role may do at home ----------------------------------------------------------


def _category_form(category, **changes):
    data = {
        "organisation": category.organisation_id,
        "code": category.code,
        "name_az": category.name,
        "name_en": category.name,
        "parent": "",
        "sensitivity": category.sensitivity,
        "description_az": "",
        "examples_az": "",
    }
    if "name" in changes:  # the register is kept in both languages: change both
        data["name_az"] = data["name_en"] = changes.pop("name")
    data.update(changes)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DPO, Role.COMPLIANCE])
def test_register_keepers_edit_own_category(client, home, role):
    user = user_with(role, home)
    category = make_category(home, name="Contact data")

    response = log_in(client, user).post(
        admin_url("datacategory", "change", category.pk),
        _category_form(category, name="Contact details", sensitivity=Sensitivity.IDENTIFIER),
    )

    assert response.status_code == 302
    category.refresh_from_db()
    assert category.name == "Contact details"
    assert category.history.first().history_user == user


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.MANAGER, Role.AUDITOR])
def test_readers_cannot_change_own_category(client, home, role):
    user = user_with(role, home)
    category = make_category(home, name="Contact data")
    log_in(client, user)

    page = client.get(admin_url("datacategory", "change", category.pk))
    post = client.post(
        admin_url("datacategory", "change", category.pk),
        _category_form(category, name="Changed"),
    )
    add = client.post(admin_url("datacategory", "add"), _category_form(category, code="new"))

    assert page.status_code == 200  # read-only view
    assert post.status_code == 403
    assert add.status_code == 403
    category.refresh_from_db()
    assert category.name == "Contact data"
    assert DataCategory.objects.count() == 1


@pytest.mark.django_db
def test_dpo_cannot_add_a_category_to_another_organisation(client, home, other):
    user = user_with(Role.DPO, home)
    foreign = other["organisation"]

    response = log_in(client, user).post(
        admin_url("datacategory", "add"),
        {
            "organisation": foreign.pk,
            "code": "planted",
            "name_az": "Planted",
            "sensitivity": "ordinary",
        },
    )

    assert response.status_code == 200  # the form again, with an error
    assert response.context["adminform"].form.errors["organisation"]
    assert not DataCategory.objects.filter(code="planted").exists()


@pytest.mark.django_db
def test_dpo_cannot_link_own_category_to_another_organisations_parent(client, home, other):
    user = user_with(Role.DPO, home)
    category = make_category(home, name="Contact data")

    response = log_in(client, user).post(
        admin_url("datacategory", "change", category.pk),
        _category_form(category, parent=other["datacategory"].pk),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"]
    category.refresh_from_db()
    assert category.parent is None


@pytest.mark.django_db
def test_dpo_of_both_organisations_sees_both(client, home, other):
    user = make_user(Role.DPO, home, other["organisation"], username="both")
    make_category(home, name="Homemark category")

    response = log_in(client, user).get(admin_url("datacategory", "changelist"))

    assert "Homemark category" in response.text
    assert "Othermark category" in response.text


@pytest.mark.django_db
def test_auditor_reads_a_subject_and_its_history_but_cannot_delete(client, home):
    user = user_with(Role.AUDITOR, home)
    subject = make_subject(home, last_name="Quliyeva")
    log_in(client, user)

    page = client.get(admin_url("datasubject", "change", subject.pk))
    history = client.get(admin_url("datasubject", "history", subject.pk))
    delete = client.post(admin_url("datasubject", "delete", subject.pk), {"post": "yes"})

    assert page.status_code == 200 and "Quliyeva" in page.text
    assert history.status_code == 200
    assert delete.status_code == 403
    assert subject.__class__.objects.filter(pk=subject.pk).exists()


# --- a user with different roles in two organisations ---------------------------------------


@pytest.fixture
def dpo_here_auditor_there(client, home, other):
    user = make_user(Role.DPO, home, username="mixed")
    Membership.objects.create(user=user, organisation=other["organisation"], role=Role.AUDITOR)
    return log_in(client, user)


def test_bulk_delete_spares_the_organisation_where_the_user_only_reads(
    dpo_here_auditor_there, home, other
):
    mine = make_category(home, name="Homemark category")
    theirs = other["datacategory"]

    response = dpo_here_auditor_there.post(
        admin_url("datacategory", "changelist"),
        {"action": "delete_selected", "_selected_action": [mine.pk, theirs.pk], "post": "yes"},
    )

    assert response.status_code == 403
    assert DataCategory.objects.filter(pk__in=[mine.pk, theirs.pk]).count() == 2


def test_an_auditor_elsewhere_may_read_there_but_not_edit(dpo_here_auditor_there, other):
    theirs = other["datacategory"]

    page = dpo_here_auditor_there.get(admin_url("datacategory", "change", theirs.pk))
    post = dpo_here_auditor_there.post(
        admin_url("datacategory", "change", theirs.pk), _category_form(theirs, name="Changed")
    )

    assert page.status_code == 200
    assert post.status_code == 403
    theirs.refresh_from_db()
    assert theirs.name == "Othermark category"


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_a_malformed_object_url_is_not_found(signed_in, view):
    response = signed_in(Role.DPO).get(f"/admin/register/datacategory/not-a-number/{view}/")

    assert response.status_code == 404


def test_organisation_picker_offers_only_organisations_the_user_may_write_in(
    dpo_here_auditor_there, home
):
    response = dpo_here_auditor_there.get(
        "/admin/autocomplete/",
        {"app_label": "register", "model_name": "datacategory", "field_name": "organisation"},
    )

    assert [item["text"] for item in response.json()["results"]] == ["Homemark Org"]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["az", "en"])
def test_a_lists_row_checkboxes_are_djangos_own_and_select_for_an_action(client, language):
    """The lists draw each row's checkbox without a widget template (for speed): the same
    HTML Django renders, its label in the user's language and escaped, and an action still
    acts on the rows ticked."""
    from django.contrib.admin import ModelAdmin
    from django.utils import translation

    home = make_organisation("home", name="Homemark")
    dpo = make_user(Role.DPO, home)
    odd = make_category(home, "odd", name='Sənəd <"&">')
    make_category(home, "plain", name="Plain")
    list_admin = admin.site._registry[DataCategory]
    with translation.override(language):
        ours = list_admin.action_checkbox(odd)
        djangos = ModelAdmin.action_checkbox(list_admin, odd)
    assert ours == djangos
    assert "&lt;&quot;&amp;&quot;&gt;" in ours

    log_in(client, dpo)
    client.cookies["django_language"] = language
    page = client.get(admin_url("datacategory", "changelist")).content.decode()
    assert page.count('class="action-select"') == 2
    assert str(djangos) in page
    # The action asks to confirm for the row ticked, and only that one.
    confirm = client.post(
        admin_url("datacategory", "changelist"),
        {"action": "delete_selected", "_selected_action": [odd.pk]},
    ).content.decode()
    assert "Sənəd &lt;&quot;&amp;&quot;&gt;" in confirm and "Plain" not in confirm
