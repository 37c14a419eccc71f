"""What the admin may delete, declared once for every app.

Two kinds of rows, two mixins (put before the scoped base admin in each app's admin class):

- ``NeverDeletedAdmin``: rows that hold personal data or evidence (records, data subjects,
  consents, requests, letters, disposal batches, holds, audit events). They leave only through
  their process: records through a disposal batch or a request, people through erasure, evidence
  never. No role may delete them from the admin, superusers included: no bulk action, no delete
  page, no POST.
- ``VocabularyAdmin``: the register's vocabulary (data categories, systems, recipients,
  activities, rules, …). An entry may be deleted only while nothing uses it; in use, the delete
  page says so in a sentence (what uses it, how many) instead of offering to delete anything.
  Every deletion writes an audit event.

Foreign keys to vocabulary are PROTECT in the models, so the database refuses as well; links
through a many-to-many field (an activity's categories) have no such guard, so "in use" is
counted here over every reverse relation, one COUNT per relation and never by loading the rows.
"""

from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from dpo_portal.audit.models import AuditEvent


class NeverDeletedAdmin:
    def has_delete_permission(self, request, obj=None):
        return False


class NeverDeletedInline:
    can_delete = False

    def has_delete_permission(self, request, obj=None):
        return False


def uses_of(objs, *, parts=()):
    """[(model verbose_name_plural, count)] of the rows that point at any of ``objs`` (a list
    or queryset of one model), through a foreign key or a many-to-many field. ``parts`` names
    the reverse relations that are part of the entry itself and go with it."""
    pks = [obj.pk for obj in objs]
    if not pks:
        return []
    model = objs[0]._meta.model if isinstance(objs, list) else objs.model
    uses = []
    for relation in model._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete or not relation.is_relation:
            continue
        if relation.get_accessor_name() in parts:
            continue
        related = relation.related_model
        if related._meta.auto_created:
            continue  # the hidden through table of a many-to-many; counted via the field
        if related.__module__ == "simple_history.models" or related.__name__.startswith(
            "Historical"
        ):
            continue  # history rows keep their own copy of the id, on purpose
        field = relation.field
        count = (
            related._default_manager.filter(**{f"{field.name}__in": pks})
            .order_by()
            .values("pk")
            .distinct()
            .count()
        )
        if count:
            uses.append((capfirst(related._meta.verbose_name), count))
    return uses


def uses_sentences(uses):
    return [
        _("%(things)s: %(count)s") % {"things": things, "count": count} for things, count in uses
    ]


class VocabularyAdmin:
    # Reverse relations that are part of the entry and are deleted with it (a recipient's
    # transfers): they do not count as uses.
    deleted_with_it = ()
    delete_confirmation_template = "admin/vocabulary_delete_confirmation.html"
    delete_selected_confirmation_template = "admin/vocabulary_delete_selected_confirmation.html"

    def get_deleted_objects(self, objs, request):
        uses = uses_of(objs, parts=self.deleted_with_it)
        if uses:
            # Refused before Django's collector runs: it would load every protecting row (a
            # category may be used by a million records) only to list them.
            return [], {}, set(), uses_sentences(uses)
        return super().get_deleted_objects(objs, request)

    def delete_model(self, request, obj):
        with transaction.atomic():
            record_deletion(obj, actor=request.user)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                record_deletion(obj, actor=request.user)
            super().delete_queryset(request, queryset)


def record_deletion(obj, *, actor):
    """The audit event of a vocabulary entry deleted while unused. Codes and names of
    vocabulary are not personal data."""
    organisation = getattr(obj, "organisation", None)
    if organisation is None:
        return  # shared reference lists (legal bases) have no organisation's trail
    AuditEvent.record(
        "audit.entry_deleted",
        organisation=organisation,
        actor=actor,
        target=obj,
        model=obj._meta.label_lower,
        code=getattr(obj, "code", ""),
        name=str(obj),
    )
