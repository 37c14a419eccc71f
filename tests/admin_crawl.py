"""Walk the admin as a user would: every registered ModelAdmin's list, add page, import and
export pages, and for a sample object its change page and history; the dashboard and the app
indexes. Shared by the crawls (tests/test_admin_in_azerbaijani.py; i17-robust's 500 crawl can use
it too), so a page added by any app is walked without being listed by hand."""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse

LIST_VIEWS = ("changelist", "add", "import", "export")
OBJECT_VIEWS = ("history",)


def _reverse(name, *args):
    try:
        return reverse(f"admin:{name}", args=args)
    except NoReverseMatch:
        return None


def admin_page_urls(objects_per_model=1):
    """The URLs, in a stable order, with no duplicates."""
    urls = [reverse("admin:index")]
    for model in sorted(admin.site._registry, key=lambda model: model._meta.label):
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        urls.append(_reverse("app_list", model._meta.app_label))
        urls += [_reverse(f"{info}_{view}") for view in LIST_VIEWS]
        pks = model._default_manager.order_by("pk").values_list("pk", flat=True)
        # Models without simple-history (audit events, jobs) have Django's plain history page.
        views = OBJECT_VIEWS if hasattr(model._meta, "simple_history_manager_attribute") else ()
        for pk in pks[:objects_per_model]:
            urls += [_reverse(f"{info}_{view}", pk) for view in ("change", *views)]
    return list(dict.fromkeys(url for url in urls if url))
