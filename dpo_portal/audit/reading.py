"""Audit events made readable: the actor's full name and role, the object's name and link, the
sentence. Set-based: one query per object type and one for the actors' roles, whatever the
number of events (a page of the list, or a period's export)."""

from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dpo_portal.register.models import Membership

from .sentences import describe

# Objects shown by number, never by name: the trail outlives the people it concerns, and a
# period's export must not turn into a list of names.
BY_NUMBER = {"register.datasubject", "consent.consent", "register.disclosure"}


def read(events):
    """Set on each event: ``actor_name``, ``actor_role``, ``target_label``, ``target_url`` and
    ``sentence``. ``events`` is a list (already fetched, with actor and target_type)."""
    by_type = defaultdict(set)
    for event in events:
        if event.target_type_id and event.target_id:
            by_type[event.target_type_id].add(event.target_id)
    objects = {}
    for type_id, ids in by_type.items():
        content_type = ContentType.objects.get_for_id(type_id)
        label = f"{content_type.app_label}.{content_type.model}"
        model = content_type.model_class()
        if model is None or label in BY_NUMBER:
            continue
        pks = [model._meta.pk.to_python(pk) for pk in ids]
        for obj in model._default_manager.filter(pk__in=pks):
            objects[(type_id, str(obj.pk))] = obj
    roles = {
        (m.user_id, m.organisation_id): m.get_role_display()
        for m in Membership.objects.filter(
            user_id__in={e.actor_id for e in events if e.actor_id},
            organisation_id__in={e.organisation_id for e in events},
        )
    }
    for event in events:
        actor = event.actor
        if actor is None:
            event.actor_name, event.actor_role = _("The portal"), _("scheduled job")
        else:
            event.actor_name = actor.get_full_name() or actor.get_username()
            event.actor_role = roles.get((actor.pk, event.organisation_id)) or (
                _("Administrator") if actor.is_superuser else ""
            )
        event.target_label, event.target_url = _target(event, objects)
        event.local_time = timezone.localtime(event.created_at)
        event.sentence = describe(event, actor=event.actor_name, target=event.target_label)
    return events


def _target(event, objects):
    if not event.target_type_id:
        return "", None
    content_type = ContentType.objects.get_for_id(event.target_type_id)
    model = content_type.model_class()
    name = model._meta.verbose_name if model else content_type.model
    obj = objects.get((event.target_type_id, event.target_id))
    label = str(obj) if obj is not None else f"{name} #{event.target_id}"
    if obj is None and f"{content_type.app_label}.{content_type.model}" not in BY_NUMBER:
        return label, None  # gone (an unused entry deleted): nothing to link to
    try:
        url = reverse(
            f"admin:{content_type.app_label}_{content_type.model}_change", args=[event.target_id]
        )
    except NoReverseMatch:
        url = None
    return label, url
