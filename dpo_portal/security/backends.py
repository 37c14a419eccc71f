"""Django's ModelBackend, reading a user's permissions in one query instead of two, and in the
same statement as the user's memberships.

Every staff page asks the user's permissions (the admin's sidebar alone asks about every model)
and the organisations in which their role grants each right (register/roles.py): ModelBackend
reads the user's own and their groups' permissions in two statements and the memberships are a
third; ``read_access`` reads all three in one UNION ALL, once per HTTP request (request_memo), with
the same result and the same per-request cache (``user._perm_cache``).
"""

from dataclasses import dataclass

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast

from dpo_portal.register.models import Membership
from dpo_portal.request_memo import forget, once_per_request

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


class ModelBackendOneQuery(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = set(read_access(user_obj).permissions)
        return user_obj._perm_cache
