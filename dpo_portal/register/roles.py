"""Roles: what each role may do, per model, and in which organisations a user holds a right.

Each app declares the rights of each role over its own models in its `roles.py` as ROLE_GRANTS
(this file holds the register's). Django groups, one per role, are built from them by
`sync_role_groups()`: after every migrate, and by `manage.py sync_roles`. A user's groups follow
their memberships; which *organisation's* rows they reach is decided per request by
`organisation_ids_for()`, since a user can be a DPO in one organisation and an auditor in another.
"""

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast
from django.utils.module_loading import module_has_submodule

from dpo_portal.request_memo import forget, once_per_request

from .models import Membership, Role

# Group names stay in English: they are identifiers, shown translated through Role's labels.
GROUP_NAMES = {
    Role.DPO: "DPO",
    Role.COMPLIANCE: "Compliance officer",
    Role.MANAGER: "Manager",
    Role.AUDITOR: "Auditor",
}

ALL = "view add change delete"
READ = "view"

# The legal rules are shared by every organisation (dpo_portal/legal): DPO staff keep them,
# compliance officers may mark references checked, everyone else reads them.
LEGAL_MODELS = [
    "legal.regime",
    "legal.regimeversion",
    "legal.requestkindoffer",
    "legal.refusalground",
    "legal.calendardecision",
    "legal.calendarday",
    "legal.registrationrule",
]
LEGAL_READ = {"legal.legalreference": READ, **dict.fromkeys(LEGAL_MODELS, READ)}

REGISTER_MODELS = [
    "register.datacategory",
    "register.subjecttype",
    "register.source",
    "register.system",
    "register.recipient",
    "register.recipienttransfer",
]

ROLE_GRANTS = {
    Role.DPO: {
        "register.organisation": "view change",
        "register.membership": READ,
        "register.datasubject": ALL,
        **dict.fromkeys(REGISTER_MODELS, ALL),
        "register.recipientreview": "view add",
        "register.disclosure": ALL,
        "legal.legalreference": "view add change",
        **dict.fromkeys(LEGAL_MODELS, ALL),
    },
    Role.COMPLIANCE: {
        "register.organisation": READ,
        # Compliance officers log disclosures about people, so they may look them up.
        "register.datasubject": READ,
        **dict.fromkeys(REGISTER_MODELS, ALL),
        "register.recipientreview": "view add",
        "register.disclosure": ALL,
        **LEGAL_READ,
        "legal.legalreference": "view change",
    },
    # Managers see aggregates only: never a data subject.
    Role.MANAGER: {
        "register.organisation": READ,
        **dict.fromkeys(REGISTER_MODELS, READ),
        "register.recipientreview": READ,
        # No disclosure log: it names the people disclosed.
    },
    Role.AUDITOR: {
        "register.organisation": READ,
        "register.membership": READ,
        "register.datasubject": READ,
        **dict.fromkeys(REGISTER_MODELS, READ),
        "register.recipientreview": READ,
        "register.disclosure": READ,
        **LEGAL_READ,
    },
}


@cache
def role_permissions():
    """{role: frozenset of "app_label.codename"}, gathered from every app's roles.py."""
    grants = defaultdict(set)
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, "roles"):
            continue
        module = import_module(f"{config.name}.roles")
        for role, models in getattr(module, "ROLE_GRANTS", {}).items():
            for model_label, actions in models.items():
                app_label, model_name = model_label.split(".")
                for action in actions.split():
                    grants[role].add(f"{app_label}.{action}_{model_name}")
    return {role: frozenset(perms) for role, perms in grants.items()}


def roles_granting(perm):
    return [role for role, perms in role_permissions().items() if perm in perms]


def organisation_ids_for(user, perm):
    """Ids of the organisations in which the user's role grants ``perm`` ("app.codename").

    Cached on the user object, which lives for one request.
    """
    if not user.is_authenticated:
        return frozenset()
    cache_ = user.__dict__.setdefault("_organisation_ids_cache", {})
    if perm not in cache_:
        roles = set(roles_granting(perm))
        cache_[perm] = frozenset(org for org, role in _memberships(user) if role in roles)
    return cache_[perm]


# --- a user's rights, read once per HTTP request ---------------------------------------------

_MEMBERSHIP, _PERMISSION = "membership", "permission"


@dataclass(frozen=True)
class Access:
    permissions: frozenset  # "app_label.codename"; empty for an inactive user
    memberships: tuple  # (organisation_id, role)


def read_access(user):
    """The user's permissions and memberships, read together once per HTTP request."""
    return once_per_request(("access", user.pk), lambda: _read_access(user))


def forget_access():
    """After a write to memberships or groups inside a request: read them again."""
    forget("access")


def _read_access(user):
    rows = _tagged(
        Membership.objects.filter(user_id=user.pk),
        _MEMBERSHIP,
        Cast("organisation_id", CharField()),
        F("role"),
    )
    if user.is_active:
        permissions = _tagged(
            _permissions(user), _PERMISSION, F("content_type__app_label"), F("codename")
        )
        rows = rows.union(permissions, all=True)
    permissions, memberships = set(), []
    for kind, first, second in rows:
        if kind == _MEMBERSHIP:
            memberships.append((int(first), second))
        else:
            permissions.add(f"{first}.{second}")
    return Access(frozenset(permissions), tuple(memberships))


def _tagged(queryset, kind, first, second):
    return (
        queryset.order_by()
        .annotate(access_kind=Value(kind), access_first=first, access_second=second)
        .values_list("access_kind", "access_first", "access_second")
    )


def _permissions(user):
    permissions = Permission.objects.all()
    if user.is_superuser:
        return permissions
    own = user.user_permissions.through.objects.filter(user_id=user.pk)
    of_groups = Group.permissions.through.objects.filter(
        group__in=user.groups.through.objects.filter(user_id=user.pk).values("group_id")
    )
    return permissions.filter(
        Q(pk__in=own.values("permission_id")) | Q(pk__in=of_groups.values("permission_id"))
    )


def _memberships(user):
    """(organisation_id, role) of all the user's memberships: one query per request, however
    many rights a page asks about (the admin's sidebar alone asks about every model), and the
    same one that reads the user's permissions (read_access)."""
    cache_ = user.__dict__.setdefault("_organisation_ids_cache", {})
    if None not in cache_:
        cache_[None] = read_access(user).memberships
    return cache_[None]


def member_organisation_ids(user):
    if not user.is_authenticated:
        return frozenset()
    return frozenset(organisation_id for organisation_id, _role in _memberships(user))


def role_in(user, organisation_id):
    return (
        Membership.objects.filter(user=user, organisation_id=organisation_id)
        .values_list("role", flat=True)
        .first()
    )


def sync_role_groups():
    """Create or update one group per role with exactly its permissions. Idempotent."""
    for role, perms in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=GROUP_NAMES[role])
        wanted = []
        for perm in sorted(perms):
            app_label, codename = perm.split(".")
            try:
                wanted.append(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )
            except Permission.DoesNotExist as exc:
                raise LookupError(f"roles.py grants an unknown permission: {perm}") from exc
        group.permissions.set(wanted)


def sync_user_groups(user):
    """A user's role groups are exactly those of their memberships; members may use the admin."""
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    role_groups = Group.objects.filter(name__in=GROUP_NAMES.values())
    user.groups.remove(*[g for g in role_groups if g.name not in {GROUP_NAMES[r] for r in roles}])
    user.groups.add(*[g for g in role_groups if g.name in {GROUP_NAMES[r] for r in roles}])
    if roles and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_organisation_ids_cache", None)
    user.__dict__.pop("_perm_cache", None)
    forget_access()


def signatory(user, organisation_id):
    """{"user_id", "name", "role"} of a user acting for an organisation, as printed on evidence
    (certificates, the audit trail): the full name, falling back on the username, and the role
    held there."""
    from django.utils.translation import gettext as _

    membership = Membership.objects.filter(user=user, organisation_id=organisation_id).first()
    if membership is not None:
        role = membership.get_role_display()
    else:
        role = _("Administrator") if user.is_superuser else ""
    return {
        "user_id": user.pk,
        "name": user.get_full_name() or user.get_username(),
        "role": str(role),
    }


def members_granted(perm, organisation_ids):
    """Active users whose role grants ``perm`` in every one of ``organisation_ids``: who may be
    given a piece of work there (an assignee, a task owner)."""
    from django.contrib.auth import get_user_model

    roles = roles_granting(perm)
    users = get_user_model().objects.filter(is_active=True)
    for organisation_id in set(organisation_ids):
        users = users.filter(
            pk__in=Membership.objects.filter(
                organisation_id=organisation_id, role__in=roles
            ).values("user_id")
        )
    return users.order_by("username")
