"""Django's ModelBackend, reading a user's permissions in one query instead of two, and in the
same statement as the user's memberships.

Every staff page asks the user's permissions (the admin's sidebar alone asks about every model)
and the organisations in which their role grants each right: ModelBackend reads the user's own
and their groups' permissions in two statements and the memberships are a third;
``register.roles.read_access`` reads all three in one UNION ALL, once per HTTP request, with the
same result and the same per-request cache (``user._perm_cache``).
"""

from django.contrib.auth.backends import ModelBackend

from dpo_portal.register.roles import read_access


class ModelBackendOneQuery(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = set(read_access(user_obj).permissions)
        return user_obj._perm_cache
